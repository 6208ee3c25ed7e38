"""SPARQL 1.1 results serialisation (JSON, XML, CSV, TSV) of a possibly truncated row list."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

Row = Sequence[object | None]


def _json_term(term: object) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}


def to_json(variables: list[str], rows: list[Row]) -> bytes:
    bindings = [{v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None} for row in rows]
    doc = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        attrs = ""
        if term.language:
            attrs = f" xml:lang={quoteattr(term.language)}"
        elif term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            attrs = f" datatype={quoteattr(term.datatype.value)}"
        return f"<literal{attrs}>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def to_xml(variables: list[str], rows: list[Row]) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head><results>")
    for row in rows:
        out.append("<result>")
        for v, t in zip(variables, row, strict=True):
            if t is not None:
                out.append(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
        out.append("</result>")
    out.append("</results></sparql>\n")
    return "".join(out).encode("utf-8")


def _csv_value(term: object | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return getattr(term, "value", str(term))


def to_csv(variables: list[str], rows: list[Row]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow([_csv_value(t) for t in row])
    return buf.getvalue().encode("utf-8")


def to_tsv(variables: list[str], rows: list[Row]) -> bytes:
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


SOLUTION_SERIALIZERS = {"json": to_json, "xml": to_xml, "csv": to_csv, "tsv": to_tsv}
BOOLEAN_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}


# -- the engine's own serialisers, with an exact row count and the row limit -------------------------
#
# Serialising in Python costs more than evaluating a cheap query: each term becomes a Python object,
# then a dict, then JSON. pyoxigraph serialises results itself (Rust) but neither stops at a row
# limit nor says how many rows it wrote. Both are recovered from its output, where that is exact and
# cheap: in JSON a row is the only object whose first key is a variable name followed by a term
# (``{"v":{"type":``; a string cannot hold the raw quote that starts a key); in XML each row is one
# ``<result>`` (``<`` is escaped in text and attributes); in TSV, one line (newlines in literals are
# escaped). CSV quotes newlines rather than escaping them: it stays in Python. Rows are counted as
# the engine writes them; at the first row past the limit the output is cut there and closed. JSON
# with an empty row (``{}``) or a triple term, where a row start is not that pattern, is counted by
# parsing it back; past the limit, or past a byte cap, the query is evaluated again the Python way.

ENGINE_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "tsv": ox.QueryResultsFormat.TSV,
}
_CLOSING = {"json": b"]}}", "xml": b"</results></sparql>", "tsv": b""}


class ResultTooLarge(Exception):
    """The serialised result went past the row limit or the byte cap."""


class _LimitedBuffer:
    """A binary file object for the engine to write SELECT results to. It finds where each row
    starts as the output comes; at the start of row ``max_rows + 1`` (TSV: at its end) it records
    that offset (``cut``) and stops the engine; past ``cap`` bytes, it stops it too."""

    def __init__(self, fmt: str, variables: Sequence[str], max_rows: int, cap: int) -> None:
        self.fmt = fmt
        self.cap = cap
        self.max_rows = max_rows
        self.size = 0  # bytes written so far
        self.rows = 0  # row starts seen so far (TSV: line ends, the header's included)
        self.cut: int | None = None
        self.parts: list[bytes] = []
        self.tail = b""  # the end of the output so far, where a row start may have begun
        if fmt == "tsv":
            self.row_start = re.compile(rb"\n")
            self.limit = max_rows + 2  # the header line, max_rows rows, then one more row: cut before it
        elif fmt == "xml":
            self.row_start = re.compile(rb"<result>")
            self.limit = max_rows + 1
        else:
            names = [v.encode("utf-8") for v in variables] or [b"\x00"]  # no variable: no row start to see
            self.row_start = re.compile(rb'\{"(?:' + b"|".join(map(re.escape, names)) + rb')":\{"type":')
            self.limit = max_rows + 1
        self.keep = len(b'{"":{"type":') + max(len(v.encode("utf-8")) for v in variables or [""])

    def write(self, data: bytes) -> int:
        start = self.size
        self.size += len(data)
        window = self.tail + data  # a row start cut between two writes is counted once, in the second
        seen = len(self.tail)
        self.tail = window[-self.keep :]
        for match in self.row_start.finditer(window):
            if match.end() <= seen:
                continue
            self.rows += 1
            if self.rows == self.limit - 1 and self.fmt == "tsv":  # the end of row max_rows: cut here if more
                self.cut = start - seen + match.end()
            elif self.rows == self.limit:
                if self.fmt != "tsv":
                    self.cut = start - seen + match.start()
                self.parts.append(data)
                raise ResultTooLarge
        if self.size > self.cap:
            raise ResultTooLarge
        self.parts.append(data)
        return len(data)

    def flush(self) -> None:
        return None

    def getvalue(self) -> bytes:
        return self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)

    def truncated(self) -> bytes | None:
        """The output cut after ``max_rows`` rows and closed, or None when it cannot be trusted
        (JSON with an empty row or a triple term: row starts were not all seen)."""
        if self.cut is None or self.rows < self.limit:
            return None
        head = self.getvalue()[: self.cut]
        if self.fmt == "json":
            if b"{}" in head or b'"type":"triple"' in head:
                return None
            head = head[:-1] if head.endswith(b",") else head
        return head + _CLOSING[self.fmt]


def count_rows(body: bytes, fmt: str, variables: Sequence[str]) -> int | None:
    """How many rows the engine's serialisation ``body`` holds, or None when it cannot tell cheaply
    (JSON with an empty row or a triple term: then parse it)."""
    if fmt == "json":
        if b"{}" in body or b'"type":"triple"' in body:
            return None
        return sum(body.count(b'{"' + v.encode("utf-8") + b'":{"type":') for v in variables)
    if fmt == "xml":
        return body.count(b"<result>")
    if fmt == "tsv":
        return body.count(b"\n") - 1
    return None


def engine_serialize(results: ox.QuerySolutions, fmt: str, max_rows: int, cap: int) -> tuple[bytes, int, bool]:
    """(body, rows, truncated) of SELECT results in ``fmt`` (one of :data:`ENGINE_FORMATS`),
    serialised by the engine, at most ``max_rows`` rows. Raises :class:`ResultTooLarge` when
    that cannot be done this way (past ``cap`` bytes, or an uncountable result past the limit):
    the results are then partly consumed, evaluate the query again."""
    variables = [v.value for v in results.variables]
    buffer = _LimitedBuffer(fmt, variables, max_rows, cap)
    try:
        results.serialize(buffer, format=ENGINE_FORMATS[fmt])
    except Exception as exc:
        if buffer.size <= buffer.cap and buffer.rows < buffer.limit:  # not ours: the engine failed
            raise
        body = buffer.truncated()
        if body is None:
            raise ResultTooLarge from exc
        return body, max_rows, True
    body = buffer.getvalue()
    rows = count_rows(body, fmt, variables)
    if rows is None:
        rows = sum(1 for _ in ox.parse_query_results(body, ENGINE_FORMATS[fmt]))
    if rows > max_rows:  # row starts not all seen (empty rows): this way, one more evaluation
        raise ResultTooLarge
    return body, rows, False


def _engine_counts_exact() -> frozenset[str]:
    """The formats of :data:`ENGINE_FORMATS` whose rows :func:`count_rows` counts and
    :func:`engine_serialize` cuts right on awkward data with this version of the engine (checked
    once, when this module is imported; any other stays in Python)."""
    store = ox.Store()
    p = ox.NamedNode("http://example.org/p")
    tricky = ["a{}b", "x\ny\r\tz", "<result>", '{"v":{"type":', '"q" \\ \'', "é ☃"]
    for i, text in enumerate(tricky):
        store.add(
            ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), p, ox.Literal(text, language="fr" if i % 2 else None))
        )
    store.add(
        ox.Quad(
            ox.BlankNode("b0"), p, ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        )
    )
    queries = [
        "SELECT ?s ?o ?none WHERE { ?s ?p ?o }",
        "SELECT ?type ?subject WHERE { ?type ?p ?subject OPTIONAL { ?subject ?q ?x } }",
        "SELECT ?x WHERE { OPTIONAL { ?x <http://example.org/nothing> ?y } }",
        "SELECT ?é ?o WHERE { ?é ?p ?o }",
        "SELECT * WHERE { }",
        "SELECT ?s WHERE { ?s ?p ?o FILTER(false) }",
    ]
    exact = set(ENGINE_FORMATS)
    for fmt, format_ in ENGINE_FORMATS.items():
        for query in queries:
            results = store.query(query)
            variables = [v.value for v in results.variables]
            body = results.serialize(format=format_)
            every = [[str(t) for t in row] for row in ox.parse_query_results(body, format_)]
            if count_rows(body, fmt, variables) not in (len(every), None):
                exact.discard(fmt)
            for max_rows in (0, 1, 2, 100):
                try:
                    cut, rows, truncated = engine_serialize(store.query(query), fmt, max_rows, 1 << 20)
                    kept = [[str(t) for t in row] for row in ox.parse_query_results(cut, format_)]
                except ResultTooLarge:
                    continue  # evaluated again the Python way: right, if slower
                except (SyntaxError, ValueError, OSError):
                    exact.discard(fmt)
                    continue
                if kept != every[:max_rows] or rows != len(kept) or truncated != (len(every) > max_rows):
                    exact.discard(fmt)
    return frozenset(exact)


ENGINE_COUNTED_FORMATS = _engine_counts_exact()
