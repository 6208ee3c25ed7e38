"""A substring index of the verbatim quotes (``oa:exact``) of an embedded store.

A SPARQL ``FILTER(CONTAINS(LCASE(?quote), LCASE(?text)))`` reads every quote of the store through
the engine (about 4 µs each: 0.3 s at 1M triples, 75,000 quotes). Here the lower-cased quotes are
kept in one string, separated by a character no quote contains, and searched with ``str.find``
(about 1 ms per million characters); the hits' selectors then restrict the query by ``VALUES``.
The query keeps its own FILTER, so the index only narrows what the engine reads: answers are
the same with it (embedded store) and without it (remote store)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import pyoxigraph as ox

from ..store import Store

SEPARATOR = "\x00"
MAX_HITS = 5000  # past this many selectors, a VALUES block costs more than the engine's own scan


@dataclass(frozen=True)
class QuoteIndex:
    selectors: list[str]  # the selector IRIs, in the order of their quotes in `text`
    starts: list[int]  # where each quote starts in `text`
    text: str  # the lower-cased quotes, each followed by SEPARATOR

    def matching(self, needle: str) -> list[str] | None:
        """The selectors whose quote contains ``needle`` (case-insensitive, as SPARQL ``LCASE``
        then ``CONTAINS``), each once; None when the index cannot say (too many hits, a needle
        containing the separator), and the engine should scan."""
        folded = needle.lower()
        if SEPARATOR in folded:
            return None
        found: dict[str, None] = {}
        position = self.text.find(folded)
        while position != -1:
            k = bisect.bisect_right(self.starts, position) - 1
            found[self.selectors[k]] = None
            if len(found) > MAX_HITS:
                return None
            following = self.starts[k + 1] if k + 1 < len(self.starts) else len(self.text)
            position = self.text.find(folded, max(following, position + 1))
        return list(found)


def build_quote_index(store: Store) -> QuoteIndex | None:
    """Every quote of the store, read once; None when a selector is not an IRI or a quote holds
    the separator (the index would be incomplete: the engine scans instead)."""
    selectors: list[str] = []
    starts: list[int] = []
    parts: list[str] = []
    position = 0
    seen: set[tuple[str, str]] = set()
    for row in store.query("SELECT ?s ?q WHERE { ?s oa:exact ?q }"):
        selector, quote = row["s"], row["q"].value.lower()
        if not isinstance(selector, ox.NamedNode) or SEPARATOR in quote:
            return None
        if (key := (selector.value, quote)) in seen:  # the same statement in several graphs
            continue
        seen.add(key)
        selectors.append(str(selector))
        starts.append(position)
        parts.append(quote + SEPARATOR)
        position += len(quote) + 1
    return QuoteIndex(selectors, starts, "".join(parts))


def quote_index(store: Store) -> QuoteIndex | None:
    """The store's quote index, built on first use and kept with the handle."""
    return store.derived.get("quotes", lambda: build_quote_index(store))
