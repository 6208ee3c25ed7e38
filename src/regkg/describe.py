"""Describing one resource: its statements, incoming links, labels and cited quotes.

Shared by the linked-data pages and the RDF descriptions (and, later, API clients)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .namespaces import ID, RK, SKOLEM_BASE
from .store import Store

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
MAX_LINKS = 500


@dataclass(frozen=True)
class Citation:
    """Where a fact is said: document, provision and the verbatim quote."""

    document: str
    provision: str
    quote: str
    source_file: str | None
    sequence: int


@dataclass
class Description:
    iri: str
    types: list[str] = field(default_factory=list)
    outgoing: list[tuple[str, ox.NamedNode | ox.Literal | ox.BlankNode]] = field(default_factory=list)
    incoming: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)
    graphs: list[str] = field(default_factory=list)


def _iri(term: object) -> str:
    return term.value  # type: ignore[attr-defined]


def exists(store: Store, iri: str) -> bool:
    """Whether the IRI is the subject or object of any statement."""
    node = f"<{iri}>"
    return bool(store.query(f"ASK {{ {{ {node} ?p ?o }} UNION {{ ?s ?p {node} }} }}"))


def describe(store: Store, iri: str) -> Description:
    """Everything a page shows about one resource (labels of every linked resource included)."""
    node = f"<{iri}>"
    d = Description(iri)
    seen_out = set()
    rows = [(row["p"], row["o"]) for row in store.query(f"SELECT DISTINCT ?p ?o WHERE {{ {node} ?p ?o }}")]
    # sorted here, not by ORDER BY: engines order literals of different types differently
    rows.sort(key=lambda r: (r[0].value, type(r[1]).__name__, str(r[1])))
    for p_term, o in rows:
        p = _iri(p_term)
        if p == RDF_TYPE:
            d.types.append(_iri(o))
        elif (p, str(o)) not in seen_out and p != str(RK.citation):
            seen_out.add((p, str(o)))
            d.outgoing.append((p, o))
    query = (
        f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {node} FILTER(!STRSTARTS(STR(?s), '{SKOLEM_BASE}')) }} "
        f"ORDER BY ?p ?s LIMIT {MAX_LINKS}"
    )
    d.incoming = [(_iri(r["s"]), _iri(r["p"])) for r in store.query(query)]
    d.graphs = sorted(_iri(r["g"]) for r in store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {node} ?p ?o }} }}"))
    d.citations = citations(store, iri)
    linked = {iri, *d.types, *(p for p, _ in d.outgoing), *(p for _, p in d.incoming), *(s for s, _ in d.incoming)}
    linked |= {o.value for _, o in d.outgoing if isinstance(o, ox.NamedNode)}
    linked |= {c.document for c in d.citations} | {c.provision for c in d.citations}
    d.labels = labels(store, linked)
    return d


def citations(store: Store, iri: str) -> list[Citation]:
    """The citations of a resource, in their stated order."""
    query = f"""
    SELECT ?doc ?prov ?quote ?file ?seq WHERE {{
      <{iri}> rk:citation ?c . ?c oa:hasSource ?doc ; rk:provision ?prov ; oa:hasSelector/oa:exact ?quote .
      OPTIONAL {{ ?doc rk:sourceFile ?file }} OPTIONAL {{ ?c rk:sequence ?seq }}
    }} ORDER BY ?seq ?prov ?quote"""
    out = []
    for r in store.query(query):
        seq = int(r["seq"].value) if r["seq"] is not None else 0
        file = r["file"].value if r["file"] is not None else None
        out.append(Citation(_iri(r["doc"]), _iri(r["prov"]), r["quote"].value, file, seq))
    return out


def labels(store: Store, iris: set[str]) -> dict[str, dict[str, str]]:
    """rdfs:label by language for each IRI (one per language)."""
    named = [i for i in iris if i and not i.startswith("_:")]
    out: dict[str, dict[str, str]] = {}
    for start in range(0, len(named), 200):
        values = " ".join(f"<{i}>" for i in named[start : start + 200])
        for r in store.query(f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s <{RDFS_LABEL}> ?l }}"):
            lang = r["l"].language or ""
            out.setdefault(_iri(r["s"]), {}).setdefault(lang, r["l"].value)
    return out


def rdf_description(store: Store, iri: str) -> list[ox.Triple]:
    """The resource's concise bounded description: its statements, those of its citations and
    their quote selectors (skolemised blank nodes), and the labels of the resources it links to."""
    node = f"<{iri}>"
    query = f"""
    CONSTRUCT {{ {node} ?p ?o . ?c ?cp ?co . ?sel ?sp ?so . ?o <{RDFS_LABEL}> ?ol . }}
    WHERE {{
      {{ {node} ?p ?o }}
      UNION {{ {node} ?p ?c . FILTER(STRSTARTS(STR(?c), "{SKOLEM_BASE}")) ?c ?cp ?co }}
      UNION {{ {node} ?p ?c . FILTER(STRSTARTS(STR(?c), "{SKOLEM_BASE}"))
              ?c ?cp ?sel . FILTER(STRSTARTS(STR(?sel), "{SKOLEM_BASE}")) ?sel ?sp ?so }}
      UNION {{ {node} ?p ?o . FILTER(isIRI(?o)) ?o <{RDFS_LABEL}> ?ol }}
    }}"""
    return list(store.query(query))


def document_structure(store: Store, document: str) -> list[dict[str, object]]:
    """The provisions of a document in logical order, each with what it says: the resources
    citing it and the quotes."""
    query = f"""
    SELECT ?prov ?seq ?num ?entity ?quote ?cseq WHERE {{
      ?prov <http://data.europa.eu/eli/ontology#is_part_of> <{document}> .
      OPTIONAL {{ ?prov rk:sequence ?seq }} OPTIONAL {{ ?prov rk:provisionNumber ?num }}
      OPTIONAL {{ ?c rk:provision ?prov ; oa:hasSelector/oa:exact ?quote . ?entity rk:citation ?c .
                 OPTIONAL {{ ?c rk:sequence ?cseq }} }}
    }} ORDER BY ?seq ?entity ?cseq"""
    provisions: dict[str, dict[str, object]] = {}
    for r in store.query(query):
        prov = _iri(r["prov"])
        entry = provisions.setdefault(prov, {
            "iri": prov,
            "number": r["num"].value if r["num"] is not None else "",
            "sequence": int(r["seq"].value) if r["seq"] is not None else 0,
            "facts": {},
        })  # fmt: skip
        if r["entity"] is not None:
            facts: dict[str, list[str]] = entry["facts"]  # type: ignore[assignment]
            quotes = facts.setdefault(_iri(r["entity"]), [])
            if r["quote"].value not in quotes:
                quotes.append(r["quote"].value)
    return sorted(provisions.values(), key=lambda e: (e["sequence"], e["iri"]))  # type: ignore[arg-type, return-value]


def is_local(iri: str) -> bool:
    """Whether the IRI is minted by regkg (and so dereferenceable here)."""
    return iri.startswith(str(ID))
