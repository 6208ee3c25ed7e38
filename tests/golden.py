"""Reading golden-fact files: blocks of SPARQL ASK queries headed by '# fact: …'."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fact:
    source: str
    description: str
    query: str


def read_facts(path: Path) -> list[Fact]:
    """Split a .rq file into facts; lines before the first '# fact:' are a shared prologue."""
    prologue: list[str] = []
    facts: list[Fact] = []
    current: tuple[str, list[str]] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# fact:"):
            if current:
                facts.append(Fact(path.stem, current[0], "\n".join(prologue + current[1])))
            current = (line.removeprefix("# fact:").strip(), [])
        elif current is None:
            if not line.startswith("#"):
                prologue.append(line)
        else:
            current[1].append(line)
    if current:
        facts.append(Fact(path.stem, current[0], "\n".join(prologue + current[1])))
    return facts
