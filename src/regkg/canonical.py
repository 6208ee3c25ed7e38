"""The dataset digest: SHA-256 of its sorted, de-duplicated N-Quads lines."""

from __future__ import annotations

import hashlib


def digest(lines: list[str]) -> str:
    """SHA-256 of the sorted, de-duplicated N-Quads."""
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
    return h.hexdigest()
