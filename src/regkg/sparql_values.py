"""Values bound into SPARQL text as ``VALUES`` blocks, where an engine's own substitutions are not
available (a remote endpoint) or cannot say enough (a variable restricted to a set of terms)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .sparql_text import tokens
from .store import QueryError


@dataclass
class _Frame:
    kind: str  # group | optional | minus | exists | service | subquery | template | data
    inner_start: int  # offset just after the opening brace
    outermost: bool
    blocked: bool  # inside a subquery, a template or inline data: nothing is inserted
    expressions: bool = False  # a FILTER or BIND at this group's own level
    variables: set[str] = field(default_factory=set)  # variables anywhere inside


_OPENERS = {"OPTIONAL": "optional", "MINUS": "minus", "EXISTS": "exists"}


def _block(names: list[str], bindings: Mapping[str, str | Sequence[str]]) -> str:
    """One ``VALUES`` row for the single terms, one ``VALUES ?v { … }`` per set of terms."""
    single = [n for n in names if isinstance(bindings[n], str)]
    parts = []
    if single:
        heads = " ".join(f"?{n}" for n in single)
        row = " ".join(str(bindings[n]) for n in single)
        parts.append(f"VALUES ({heads}) {{ ({row}) }}")
    for n in names:
        if not isinstance(bindings[n], str):
            parts.append(f"VALUES ?{n} {{ {' '.join(bindings[n])} }}")
    return " " + " ".join(parts) + " "


def bind_values(text: str, bindings: Mapping[str, str | Sequence[str]]) -> str:
    """The query with each variable of ``bindings`` bound, by ``VALUES`` blocks, to a term (name
    -> term in SPARQL syntax) as pyoxigraph's substitutions do, or restricted to a set of terms
    (name -> list of terms). Blocks go at the start of the outermost WHERE group, and of each
    nested plain group (a UNION branch, a ``{ }`` or ``GRAPH`` group) whose own FILTER or BIND
    uses the variable, since those are evaluated before the join with the outer group. Not in
    OPTIONAL, MINUS or EXISTS groups (they see the outer bindings), nor in subqueries (their
    variables are their own). Inserted on the lines where the groups open, so line numbers do
    not change."""
    if not bindings:
        return text
    toks = tokens(text)
    inserts: list[tuple[int, str]] = []
    stack: list[_Frame] = []
    values_pending = False
    seen_outermost = False
    for i, tok in enumerate(toks):
        if tok.word == "VALUES":
            values_pending = True
        elif tok.word in ("FILTER", "BIND") and stack:
            stack[-1].expressions = True
        elif tok.kind == "var" and stack:
            stack[-1].variables.add(tok.text[1:])
        elif tok.text == "{":
            prev = toks[i - 1].word if i > 0 else ""
            prev2 = toks[i - 2].word if i > 1 else ""
            nxt = toks[i + 1].word if i + 1 < len(toks) else ""
            if values_pending:
                kind, values_pending = "data", False
            elif prev in ("CONSTRUCT", "DATA", "INSERT", "DELETE") or (prev == "WHERE" and prev2 == "CONSTRUCT"):
                kind = "template"
                if prev == "WHERE":
                    raise QueryError("values cannot be bound in a CONSTRUCT WHERE { … } short form")
            elif nxt == "SELECT":
                kind = "subquery"
            elif prev in _OPENERS:
                kind = _OPENERS[prev]
            elif "SERVICE" in (prev, prev2, toks[i - 3].word if i > 2 else ""):
                kind = "service"
            else:
                kind = "group"
            blocked = bool(stack) and (stack[-1].blocked or stack[-1].kind in ("subquery", "template", "data"))
            outermost = kind == "group" and not stack and not seen_outermost
            seen_outermost = seen_outermost or outermost
            stack.append(_Frame(kind, tok.end, outermost, blocked))
        elif tok.text == "}" and stack:
            frame = stack.pop()
            if stack:
                stack[-1].variables |= frame.variables
            if frame.kind != "group" or frame.blocked:
                continue
            if frame.outermost:
                names = list(bindings)
            else:
                names = [n for n in bindings if frame.expressions and n in frame.variables]
            if names:
                inserts.append((frame.inner_start, _block(names, bindings)))
    if not seen_outermost:
        raise QueryError("cannot bind values: the query has no WHERE group")
    for position, block in sorted(inserts, reverse=True):
        text = text[:position] + block + text[position:]
    return text
