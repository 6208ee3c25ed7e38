"""The quote check: every oa:exact is an exact span of its source text."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .report import Problem


def normalize(text: str) -> str:
    """Collapse every run of whitespace to one space, as quotes are compared."""
    return " ".join(text.split())


def _matched_prefix(quote: str, text: str) -> str:
    """The longest prefix of the quote found in the text (to point a curator at the slip)."""
    lo, hi = 0, len(quote)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if quote[:mid] in text:
            lo = mid
        else:
            hi = mid - 1
    return quote[:lo]


def in_context(text: str, quote: str, width: int = 160) -> tuple[str, str, str] | None:
    """The quote with up to `width` characters of normalised source text on each side, cut at
    word boundaries, personal e-mail addresses and phone numbers masked; None if not found."""
    from .privacy import mask_personal_contacts

    text, quote = normalize(text), normalize(quote)
    start = text.find(quote)
    if start < 0:
        return None
    before = text[max(0, start - width) : start]
    after = text[start + len(quote) : start + len(quote) + width]
    if start - width > 0 and " " in before:
        before = "… " + before.split(" ", 1)[1]
    if start + len(quote) + width < len(text) and " " in after:
        after = after.rsplit(" ", 1)[0] + " …"
    return mask_personal_contacts(before), quote, mask_personal_contacts(after)


_CITATIONS_QUERY = """
SELECT DISTINCT ?g ?holder ?document ?exact ?name WHERE {
  GRAPH ?g { ?holder rk:citation ?citation . ?citation oa:hasSource ?document .
             OPTIONAL { ?citation oa:hasSelector/oa:exact ?exact } }
  OPTIONAL { ?document rk:sourceFile ?name }
}"""


def _citations_of(store: Any, nodes: Iterable[Any]) -> list[Any]:
    """The citations whose check reads a triple about one of the nodes: the citation itself, its
    holder, its selector or its document (index lookups)."""
    import pyoxigraph as ox

    from .namespaces import OA, RK

    citation, source, selector = (
        ox.NamedNode(str(RK.citation)),
        ox.NamedNode(str(OA.hasSource)),
        ox.NamedNode(str(OA.hasSelector)),
    )
    found = set()
    for node in nodes:
        found.update(q.object for q in store.quads_for_pattern(node, citation, None))
        found.update(q.subject for q in store.quads_for_pattern(None, source, node))
        found.update(q.subject for q in store.quads_for_pattern(None, selector, node))
        if next(iter(store.quads_for_pattern(node, source, None)), None) is not None:
            found.add(node)
    return sorted(found, key=str)


def check_quotes_store(
    store: Any, sources_dir: Path, origin: Callable[[str, str], str], *, nodes: Iterable[Any] | None = None
) -> list[Problem]:
    """The quote check over a whole dataset in a pyoxigraph store (one query, linear):
    ``origin(graph, subject)`` names the file a citation holder comes from. With ``nodes``
    (pyoxigraph terms), only the citations that read a triple about one of them."""
    from .namespaces import PREFIXES
    from .terms import compact_iri

    texts: dict[str, str | None] = {}
    labels: dict[str, str] = {}
    problems: set[Problem] = set()

    def label_of(document: str) -> str:
        if document not in labels:
            query = f"SELECT ?l WHERE {{ <{document}> rdfs:label ?l }} LIMIT 1"
            row = next(iter(store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)), None)
            labels[document] = row["l"].value if row else "no label"
        return labels[document]

    query = _CITATIONS_QUERY
    if nodes is not None:
        citations = _citations_of(store, nodes)
        if not citations:
            return []
        values = " ".join(str(c) for c in citations)
        query = query.replace("WHERE {", f"WHERE {{ VALUES ?citation {{ {values} }}", 1)
    rows = store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)
    for row in rows:
        holder, document, exact, name = row["holder"].value, row["document"].value, row["exact"], row["name"]
        graph = row["g"].value

        def problem(path: str, message: str, graph: str = graph, holder: str = holder) -> Problem:
            return Problem(origin(graph, holder), "quote", compact_iri(holder), path, message)

        if name is None:
            problems.add(
                problem(
                    "rk:citation/oa:hasSource",
                    f"cited document {compact_iri(document)} ({label_of(document)}) "
                    "has no rk:sourceFile, so its quotes cannot be checked",
                )
            )
            continue
        if name.value not in texts:
            path = sources_dir / name.value
            texts[name.value] = normalize(path.read_text(encoding="utf-8")) if path.is_file() else None
        text = texts[name.value]
        if text is None:
            problems.add(
                problem("rk:citation/oa:hasSource", f"source text {sources_dir.name}/{name.value} does not exist")
            )
            continue
        if exact is None:
            continue
        quote = normalize(exact.value)
        if quote and quote in text:
            continue
        found = _matched_prefix(quote, text)
        hint = f"; the text matches only up to «{found[-60:]}»" if found else ""
        problems.add(
            problem(
                "rk:citation/oa:hasSelector/oa:exact",
                f"quote is not an exact span of {name.value}: «{quote}»{hint}",
            )
        )
    return sorted(problems)
