"""Content negotiation for SPARQL results and RDF descriptions."""

from __future__ import annotations

# media type -> internal format name
SOLUTION_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    # Turtle is N3 too: N3 clients (SPARQLWrapper's N3) get Turtle
    "text/n3": "turtle",
    "text/rdf+n3": "turtle",
    "application/n3": "turtle",
}
CONTENT_TYPES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "html": "text/html; charset=utf-8",
}
# short names accepted in ?format= (as many SPARQL endpoints do)
FORMAT_ALIASES: dict[str, str] = {
    "json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", "turtle": "turtle", "ttl": "turtle",
    "ntriples": "ntriples", "nt": "ntriples", "rdfxml": "rdfxml", "jsonld": "jsonld", "json-ld": "jsonld",
    "nquads": "nquads", "trig": "trig", "n3": "turtle", "rdf": "rdfxml", "rdf+xml": "rdfxml",
}  # fmt: skip
# ?format= names that mean something else for CONSTRUCT/DESCRIBE (SPARQLWrapper sends format=xml
# for RDF/XML and format=json for JSON-LD)
GRAPH_FORMAT_ALIASES: dict[str, str] = {**FORMAT_ALIASES, "xml": "rdfxml", "json": "jsonld"}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, best first (stable for equal q)."""
    if not header:
        return [("*/*", 1.0)]
    ranges = []
    for index, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(m, q) for m, q, _ in ranges if q > 0]


_CHOSEN: dict[tuple[str | None, int, str], str | None] = {}  # (Accept, offers, default) -> choice
_CACHED_ACCEPT_LENGTH = 256
_CACHE_SIZE = 512


def choose(accept: str | None, offers: dict[str, str], default: str) -> str | None:
    """The internal format to answer with, or None when nothing offered is acceptable (406).
    Remembered for the usual Accept headers of the two standard offers (clients repeat theirs)."""
    if offers is not SOLUTION_TYPES and offers is not GRAPH_TYPES:
        return _choose(accept, offers, default)
    key = (accept, id(offers), default)
    try:
        return _CHOSEN[key]
    except KeyError:
        pass
    chosen = _choose(accept, offers, default)
    if accept is None or len(accept) <= _CACHED_ACCEPT_LENGTH:
        if len(_CHOSEN) >= _CACHE_SIZE:
            _CHOSEN.clear()
        _CHOSEN[key] = chosen
    return chosen


def _choose(accept: str | None, offers: dict[str, str], default: str) -> str | None:
    for media, _q in parse_accept(accept):
        if media in ("*/*", "*"):
            return default
        if media.endswith("/*"):
            family = media[:-1]
            for offered, fmt in offers.items():
                if offered.startswith(family):
                    return default if CONTENT_TYPES.get(default, "").startswith(family) else fmt
            continue
        if media in offers:
            return offers[media]
    return None


def format_parameter(value: str, offers: dict[str, str], default: str) -> str | None:
    """The internal format named by a ``format`` parameter (a short name or a media type) for a
    query whose results are offered in ``offers``; None when it names none of them."""
    aliases = GRAPH_FORMAT_ALIASES if offers is GRAPH_TYPES else FORMAT_ALIASES
    fmt = aliases.get(value.strip().lower()) or choose(value, offers, default)
    return fmt if fmt in offers.values() else None


def wants_html(accept: str | None) -> bool:
    """Whether the client prefers HTML (a browser) to any RDF serialisation."""
    for media, _q in parse_accept(accept):
        if media in ("text/html", "application/xhtml+xml"):
            return True
        if media in GRAPH_TYPES or media in ("*/*", "*", "text/*", "application/*"):
            return False
    return False
