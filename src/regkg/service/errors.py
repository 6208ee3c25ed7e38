"""Error responses: RFC 9457 problem details with a plain message."""

from __future__ import annotations

import json
from http import HTTPStatus

from fastapi.responses import JSONResponse

PROBLEM_TYPE = "application/problem+json"
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


def problem_document(status: int, detail: str) -> dict[str, object]:
    """{"status", "title", "detail"}: the problem document of an error response."""
    return {"status": status, "title": _PHRASES.get(status) or HTTPStatus(status).phrase, "detail": detail}


def problem_body(status: int, detail: str) -> bytes:
    """The problem document as :func:`problem` sends it (JSON, UTF-8, compact)."""
    return json.dumps(problem_document(status, detail), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def problem(status: int, detail: str) -> JSONResponse:
    """A JSON problem document: {"status", "title", "detail"}."""
    return JSONResponse(problem_document(status, detail), status_code=status, media_type=PROBLEM_TYPE)
