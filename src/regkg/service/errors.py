"""Error responses: RFC 9457 problem details with a plain message."""

from __future__ import annotations

from http import HTTPStatus

from fastapi.responses import JSONResponse


def problem(status: int, detail: str) -> JSONResponse:
    """A JSON problem document: {"status", "title", "detail"}."""
    title = HTTPStatus(status).phrase
    return JSONResponse({"status": status, "title": title, "detail": detail}, status_code=status,
                        media_type="application/problem+json")  # fmt: skip
