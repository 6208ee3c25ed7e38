"""regkg: a knowledge graph of French drug-access regulations.

Public API: settings, validation, build and the embedded store.
"""

from .build import BuildResult, ValidationFailed, build
from .datafiles import DataFile, project_files, with_files
from .quotes import normalize
from .report import Problem, Report
from .settings import Settings
from .store import QueryError, Store, StoreMissing
from .validate import validate

__all__ = [
    "BuildResult",
    "DataFile",
    "Problem",
    "QueryError",
    "Report",
    "Settings",
    "Store",
    "StoreMissing",
    "ValidationFailed",
    "build",
    "normalize",
    "project_files",
    "validate",
    "with_files",
]
__version__ = "0.1.0"
