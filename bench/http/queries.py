"""The benchmark's query mix: lookups, joins across documents, provenance, aggregates, date and text
filters, over the synthetic graph and the real data together.

Every query declares its own prefixes, so the three servers receive identical text. None relies on
a LIMIT over ties or on blank-node labels, so result sets compare exactly across servers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from make_data import medicine_name

ROOT = Path(__file__).resolve().parents[2]

PROLOGUE = """PREFIX rk: <https://w3id.org/regkg/ontology#>
PREFIX id: <https://w3id.org/regkg/id/>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


@dataclass(frozen=True)
class Query:
    name: str
    kind: str  # lookup, join, provenance, aggregate, date filter, text filter, saved query
    about: str
    text: str


def _q(name: str, kind: str, about: str, body: str) -> Query:
    return Query(name, kind, about, PROLOGUE + body.strip() + "\n")


def _saved(name: str) -> str:
    """A saved query of the project (queries/*.rq) without its #+ header lines."""
    text = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("#+"))


PRODUCT = medicine_name(25)  # the product with the most measures (7) in the default data

QUERIES: list[Query] = [
    _q("lookup-product", "lookup", f"measures, frameworks and founding documents of the product {PRODUCT}", f"""
SELECT ?measure ?framework ?document ?date WHERE {{
  ?medicine rk:productName "{PRODUCT}" .
  ?measure rk:concernsProduct ?medicine ; rk:framework ?framework ; rk:establishedBy ?document .
  ?document eli:date_document ?date .
}} ORDER BY ?date
"""),
    _q("lookup-entity", "lookup", "every property of one real access measure (Lutathera CPC)", """
SELECT ?p ?o WHERE { <https://w3id.org/regkg/id/measure/lutathera-cpc-2022> ?p ?o }
"""),
    _q("join-updates", "join", "documents of 2025-26 updating an earlier document on the same product", """
SELECT ?document ?date ?earlier ?earlierDate ?emitter ?product WHERE {
  ?document rk:updates ?earlier ; eli:date_document ?date ; eli:passed_by ?e ; rk:concernsProduct ?m .
  ?earlier eli:date_document ?earlierDate ; rk:concernsProduct ?m .
  ?e rdfs:label ?emitter FILTER(LANG(?emitter) = "en")
  ?m rk:productName ?product .
  FILTER(?date >= "2025-01-01"^^xsd:date)
} ORDER BY ?date ?document
"""),
    _q("join-board", "join", "indications and products proposed by one board (Renaten), across documents", """
SELECT ?product ?framework ?indication ?label ?document WHERE {
  ?condition rk:board <https://w3id.org/regkg/id/board/renaten> .
  ?indication rk:hasCondition ?condition ; rdfs:label ?label FILTER(LANG(?label) = "fr")
  ?measure rk:hasIndication ?indication ; rk:concernsProduct/rk:productName ?product ;
           rk:framework/rdfs:label ?framework FILTER(LANG(?framework) = "en")
  ?condition rk:citation/oa:hasSource ?document .
} ORDER BY ?product ?indication
"""),
    _q("provenance-product", "provenance", f"every cited fact on the measures for {PRODUCT}: source, provision, quote",
       f"""
SELECT ?fact ?document ?provision ?quote WHERE {{
  ?medicine rk:productName "{PRODUCT}" .
  ?measure rk:concernsProduct ?medicine ; (rk:hasIndication|rk:hasObligation|rk:validity)? ?fact .
  ?fact rk:citation ?c .
  ?c oa:hasSource ?document ; rk:provision ?provision ; oa:hasSelector/oa:exact ?quote .
}} ORDER BY ?fact ?quote
"""),
    _q("provenance-document", "provenance", "every fact cited from one real document, with provision and quote",
       """
SELECT ?fact ?provision ?quote WHERE {
  ?fact rk:citation ?c .
  ?c oa:hasSource <https://w3id.org/regkg/id/eli/ansm/decision/2022/04/05/cpc-lutathera> ;
     rk:provision ?provision ; oa:hasSelector/oa:exact ?quote .
} ORDER BY ?provision ?fact ?quote
"""),
    _q("aggregate-frameworks", "aggregate", "measures and distinct products per framework", """
SELECT ?framework ?label (COUNT(DISTINCT ?measure) AS ?measures) (COUNT(DISTINCT ?medicine) AS ?products) WHERE {
  ?measure a rk:AccessMeasure ; rk:framework ?framework ; rk:concernsProduct ?medicine .
  ?framework rdfs:label ?label FILTER(LANG(?label) = "en")
} GROUP BY ?framework ?label ORDER BY DESC(?measures) ?framework
"""),
    _q("aggregate-citations", "aggregate", "citations and documents per year of the cited document (all citations)",
       """
SELECT ?year (COUNT(?c) AS ?citations) (COUNT(DISTINCT ?document) AS ?documents) WHERE {
  ?c oa:hasSource ?document . ?document eli:date_document ?date .
  BIND(YEAR(?date) AS ?year)
} GROUP BY ?year ORDER BY ?year
"""),
    _q("date-in-force", "date filter", "measures in force on 1 June 2023 (start <= day <= end)", """
SELECT ?measure ?product ?start ?end WHERE {
  ?measure rk:validity ?period ; rk:concernsProduct/rk:productName ?product .
  ?period time:hasBeginning/time:inXSDDate ?start ; time:hasEnd/time:inXSDDate ?end .
  FILTER(?start <= "2023-06-01"^^xsd:date && ?end >= "2023-06-01"^^xsd:date)
} ORDER BY ?product ?start
"""),
    _q("text-label", "text filter", "French indication labels containing a word, case-insensitive", """
SELECT ?indication ?label ?product WHERE {
  ?measure rk:hasIndication ?indication ; rk:concernsProduct/rk:productName ?product .
  ?indication rdfs:label ?label .
  FILTER(LANG(?label) = "fr" && CONTAINS(LCASE(STR(?label)), "glioblastome"))
} ORDER BY ?indication
"""),
    _q("text-quote-regex", "text filter", "quotes matching a regular expression (scans every quote)", """
SELECT ?selector ?quote WHERE {
  ?selector oa:exact ?quote FILTER(REGEX(?quote, "pharmacovigilance de (Tam|Dax)", "i"))
} ORDER BY ?selector
"""),
    Query("saved-obligations", "saved query", "the project's saved query queries/obligations.rq (large result)",
          PROLOGUE + _saved("obligations")),
]  # fmt: skip
