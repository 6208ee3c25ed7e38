"""Settings: the only global configuration, read from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

_MARKER = Path("ontology") / "regkg.ttl"


def find_project_root(start: Path | None = None) -> Path:
    """The directory holding ontology/ and data/: $REGKG_HOME, else the nearest parent of the
    working directory that has ontology/regkg.ttl, else the checkout this package lives in."""
    env = os.environ.get("REGKG_HOME")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / _MARKER).is_file():
            return candidate
    package_checkout = Path(__file__).resolve().parents[2]
    if (package_checkout / _MARKER).is_file():
        return package_checkout
    raise FileNotFoundError(
        "cannot find the regkg project (ontology/regkg.ttl); run from the checkout or set REGKG_HOME"
    )


@dataclass(frozen=True)
class Settings:
    """Where the project's files and the store are."""

    root: Path
    store_path: Path = field(default=Path())

    @property
    def ontology_file(self) -> Path:
        return self.root / "ontology" / "regkg.ttl"

    @property
    def shapes_file(self) -> Path:
        return self.root / "ontology" / "shapes.ttl"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def reference_dir(self) -> Path:
        return self.data_dir / "reference"

    @property
    def sources_dir(self) -> Path:
        return self.data_dir / "sources"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @classmethod
    def from_env(cls, store: str | None = None) -> Settings:
        """Settings from REGKG_HOME and REGKG_STORE (default: var/store under the project)."""
        root = find_project_root()
        raw = store or os.environ.get("REGKG_STORE") or str(root / "var" / "store")
        if raw.startswith("oxigraph:"):
            raw = raw.removeprefix("oxigraph:")
        return cls(root=root, store_path=Path(raw).expanduser().absolute())
