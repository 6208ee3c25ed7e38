"""Validation problems and the report a curator reads."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data: where (file, focus node, path) and what, in plain words."""

    file: str
    kind: str  # parse | shacl | quote | privacy | consistency
    focus: str = ""
    path: str = ""
    message: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.focus:
            where += f": {self.focus}"
        if self.path:
            where += f" {self.path}"
        return f"{where}\n    [{self.kind}] {self.message}"


@dataclass
class Report:
    """All problems found by one validation run."""

    problems: list[Problem] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, for benchmarks

    @property
    def ok(self) -> bool:
        return not self.problems

    def extend(self, check: str, problems: list[Problem]) -> None:
        self.checks.append(check)
        self.problems.extend(problems)

    def text(self) -> str:
        """A readable summary: one block per problem, sorted by file."""
        if self.ok:
            return f"OK: no problems ({', '.join(self.checks)})"
        lines = [f"{len(self.problems)} problem(s) found ({', '.join(self.checks)}):"]
        lines += [str(p) for p in sorted(self.problems)]
        return "\n".join(lines)
