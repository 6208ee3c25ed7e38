"""regkg: a knowledge graph of French drug-access regulations.

Public API (imported lazily, so that light entry points such as query workers do not load
the validation stack):

- :class:`Settings`: where the project files and the store are.
- :func:`validate`, :class:`Report`, :class:`Problem`: SHACL, quote, privacy and OWL checks.
- :func:`build`, :class:`BuildResult`, :class:`ValidationFailed`: validated, atomic store build.
- :class:`Store`, :class:`StoreMissing`, :class:`QueryError`: the embedded read-only store.
- :func:`project_files`, :func:`with_files`, :class:`DataFile`: the data files and their graphs.
- :func:`normalize`: whitespace normalisation used to compare quotes with sources.
- :func:`create_app`: the HTTP service (FastAPI application).
- :func:`applicability`: which access frameworks apply to a medicine on a date, with citations.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BuildResult": "builder",
    "ValidationFailed": "builder",
    "build": "builder",
    "DataFile": "datafiles",
    "project_files": "datafiles",
    "with_files": "datafiles",
    "normalize": "quotes",
    "Problem": "report",
    "Report": "report",
    "Settings": "settings",
    "QueryError": "store",
    "Store": "store",
    "StoreMissing": "store",
    "validate": "validation",
    "create_app": "service.app",
    "applicability": "answers.applicability",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'regkg' has no attribute {name!r}")
