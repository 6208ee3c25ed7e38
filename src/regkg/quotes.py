"""The quote check: every oa:exact is an exact span of its source text."""

from __future__ import annotations

from pathlib import Path

import rdflib
from rdflib.namespace import RDFS

from .datafiles import LoadedFile
from .namespaces import OA, RK
from .report import Problem
from .terms import describe


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


def check_quotes(loaded: list[LoadedFile], union: rdflib.Graph, sources_dir: Path, root: Path) -> list[Problem]:
    """Check each citation's quote against data/sources/<rk:sourceFile of its oa:hasSource>."""
    texts: dict[str, str | None] = {}
    problems: list[Problem] = []

    def source_text(name: str) -> str | None:
        if name not in texts:
            path = sources_dir / name
            texts[name] = normalize(path.read_text(encoding="utf-8")) if path.is_file() else None
        return texts[name]

    for item in loaded:
        g = item.graph
        where = item.file.display(root)
        for holder, citation in g.subject_objects(RK.citation):
            focus = describe(holder, union)
            documents = list(g.objects(citation, OA.hasSource))
            selectors = list(g.objects(citation, OA.hasSelector))
            for document in documents:
                names = [str(n) for n in union.objects(document, RK.sourceFile)]
                if not names:
                    label = union.value(document, RDFS.label)
                    problems.append(
                        Problem(
                            where,
                            "quote",
                            focus,
                            "rk:citation/oa:hasSource",
                            f"cited document {describe(document, union)} ({label or 'no label'}) "
                            "has no rk:sourceFile, so its quotes cannot be checked",
                        )
                    )
                    continue
                text = source_text(names[0])
                if text is None:
                    problems.append(
                        Problem(
                            where,
                            "quote",
                            focus,
                            "rk:citation/oa:hasSource",
                            f"source text {sources_dir.name}/{names[0]} does not exist",
                        )
                    )
                    continue
                for selector in selectors:
                    for exact in g.objects(selector, OA.exact):
                        quote = normalize(str(exact))
                        if quote and quote in text:
                            continue
                        found = _matched_prefix(quote, text)
                        hint = f"; the text matches only up to «{found[-60:]}»" if found else ""
                        problems.append(
                            Problem(
                                where,
                                "quote",
                                focus,
                                "rk:citation/oa:hasSelector/oa:exact",
                                f"quote is not an exact span of {names[0]}: «{quote}»{hint}",
                            )
                        )
    return problems


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
