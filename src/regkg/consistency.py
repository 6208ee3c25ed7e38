"""OWL consistency check with owlready2 and the HermiT reasoner (needs Java)."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import owlready2
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Literal, Node, URIRef

from .report import Problem

# Datatypes outside the OWL 2 datatype map (HermiT refuses them). SHACL checks their lexical
# forms; the reasoner sees them as plain strings.
_NON_OWL2_DATATYPES = {
    XSD.date,
    XSD.time,
    XSD.duration,
    XSD.gYear,
    XSD.gYearMonth,
    XSD.gMonth,
    XSD.gDay,
    XSD.gMonthDay,
    XSD.dayTimeDuration,
    XSD.yearMonthDuration,
}


class ReasonerUnavailable(FileNotFoundError):
    """Java (needed by HermiT) is missing."""


def _for_reasoner(graph: rdflib.Graph) -> rdflib.Graph:
    out = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype in _NON_OWL2_DATATYPES:
            o = Literal(str(o), datatype=XSD.string)
        out.add((s, p, o))
    return out


def reason(graph: rdflib.Graph) -> tuple[bool, list[str]]:
    """Run HermiT: (consistent, IRIs of unsatisfiable classes)."""
    if shutil.which("java") is None:
        raise ReasonerUnavailable(
            "the OWL consistency check needs Java (HermiT); install a JRE, e.g. apt-get install default-jre-headless"
        )
    with tempfile.TemporaryDirectory(prefix="regkg-owl-") as tmp:
        path = Path(tmp) / "all.nt"
        _for_reasoner(graph).serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            world.close()
            return False, []
        unsatisfiable = sorted(c.iri for c in world.inconsistent_classes())
        world.close()
        return True, unsatisfiable


def check_consistency(parts: list[tuple[str, rdflib.Graph]]) -> list[Problem]:
    """Check the union of all parts; if it is inconsistent, find the parts that make it so by
    checking the first part (the ontology) with each other part in turn."""
    union = rdflib.Graph()
    for _, g in parts:
        union += g
    consistent, unsatisfiable = reason(union)
    problems = [
        Problem(
            parts[0][0],
            "consistency",
            f"<{iri}>",
            "",
            "class is unsatisfiable: no individual can belong to it",
        )
        for iri in unsatisfiable
    ]
    if consistent:
        return problems
    base_name, base = parts[0]
    if not reason(base)[0]:
        return [*problems, Problem(base_name, "consistency", message="the ontology alone is inconsistent")]
    culprits = [name for name, g in parts[1:] if not reason(base + g)[0]]
    if not culprits:
        return [
            *problems,
            Problem(
                "(dataset)",
                "consistency",
                message="the data is inconsistent with the ontology only when all files are combined",
            ),
        ]
    return [
        *problems,
        *(
            Problem(
                name,
                "consistency",
                message="this file is inconsistent with the ontology (an individual breaks a "
                "disjointness or type axiom, e.g. typed with two disjoint classes)",
            )
            for name in culprits
        ),
    ]


# OWL axioms the instance check below covers; any other in the ontology could make instance
# data inconsistent in ways it does not see (tests/test_consistency.py pins this list).
INSTANCE_CHECK_AXIOMS = {
    "rdfs:subClassOf",
    "rdfs:subPropertyOf",
    "rdfs:domain",
    "rdfs:range",
    "owl:AllDisjointClasses",
    "owl:disjointWith",
    "owl:inverseOf",
}


def _closure(graph: rdflib.Graph, node: Node, link: URIRef) -> set[Node]:
    """The node and everything it reaches through ``link`` (subClassOf, subPropertyOf)."""
    seen, todo = {node}, [node]
    while todo:
        for parent in graph.objects(todo.pop(), link):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _disjoint_pairs(ontology: rdflib.Graph) -> set[frozenset[Node]]:
    pairs: set[frozenset[Node]] = set()
    for group in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in ontology.objects(group, OWL.members):
            items = list(rdflib.collection.Collection(ontology, members))
            pairs.update(frozenset((a, b)) for i, a in enumerate(items) for b in items[i + 1 :])
    pairs.update(frozenset((a, b)) for a, b in ontology.subject_objects(OWL.disjointWith))
    return pairs


def check_instance_disjointness(store: Any, ontology: rdflib.Graph, origin: Callable[[str, str], str]) -> list[Problem]:
    """Instance data against the ontology at scale, without a reasoner: an individual must not
    belong to two disjoint classes, counting its asserted types, the domains of the properties
    it has, the ranges of the properties pointing to it (and, through rdfs:subPropertyOf and
    owl:inverseOf, of their super- and inverse properties), all closed under rdfs:subClassOf.
    For an ontology using only INSTANCE_CHECK_AXIOMS, this finds every inconsistency HermiT
    would find in instance data; one query, linear in the data."""
    from .terms import compact

    pairs = _disjoint_pairs(ontology)
    if not pairs:
        return []
    disjoint_members = {c for pair in pairs for c in pair}
    below: dict[Node, set[Node]] = {}  # class -> the disjoint members it is a subclass of
    for cls in set(ontology.subjects(RDF.type, OWL.Class)) | disjoint_members:
        hits = _closure(ontology, cls, RDFS.subClassOf) & disjoint_members
        if hits:
            below[cls] = hits
    evidence: list[tuple[str, str, str]] = []  # (direction, property, class)
    inverse = {
        **dict(ontology.subject_objects(OWL.inverseOf)),
        **{b: a for a, b in ontology.subject_objects(OWL.inverseOf)},
    }
    for prop in (
        set(ontology.subjects(RDFS.domain, None))
        | set(ontology.subjects(RDFS.range, None))
        | set(ontology.subjects(RDF.type, OWL.ObjectProperty))
    ):
        for sup in _closure(ontology, prop, RDFS.subPropertyOf):
            for cls in ontology.objects(sup, RDFS.domain):
                if cls in below:
                    evidence.append(("out", str(prop), str(cls)))
            for cls in ontology.objects(sup, RDFS.range):
                if cls in below:
                    evidence.append(("in", str(prop), str(cls)))
            if sup in inverse:  # x p y with p inverse of q: y q x
                for cls in ontology.objects(inverse[sup], RDFS.domain):
                    if cls in below:
                        evidence.append(("in", str(prop), str(cls)))
                for cls in ontology.objects(inverse[sup], RDFS.range):
                    if cls in below:
                        evidence.append(("out", str(prop), str(cls)))
    classes = " ".join(f"<{c}>" for c in below)
    parts = [f"{{ GRAPH ?g {{ ?x a ?c }} VALUES ?c {{ {classes} }} }}"]
    out = " ".join(f"(<{p}> <{c}>)" for d, p, c in evidence if d == "out")
    into = " ".join(f"(<{p}> <{c}>)" for d, p, c in evidence if d == "in")
    if out:
        parts.append(f"{{ GRAPH ?g {{ ?x ?p ?o }} VALUES (?p ?c) {{ {out} }} }}")
    if into:
        parts.append(f"{{ GRAPH ?g {{ ?s ?p ?x }} VALUES (?p ?c) {{ {into} }} FILTER(!isLiteral(?x)) }}")
    query = f"SELECT DISTINCT ?g ?x ?c WHERE {{ {' UNION '.join(parts)} }}"
    found: dict[str, dict[Node, str]] = {}
    for row in store.query(query):
        x = row["x"].value
        for member in below[URIRef(row["c"].value)]:
            found.setdefault(x, {}).setdefault(member, row["g"].value)
    problems = []
    for x, members in found.items():
        for a in members:
            for b in members:
                if str(a) < str(b) and frozenset((a, b)) in pairs:
                    problems.append(
                        Problem(
                            origin(members[b], x),
                            "consistency",
                            compact(URIRef(x)),
                            "",
                            f"this file is inconsistent with the ontology: the individual belongs to the disjoint "
                            f"classes {compact(a)} and {compact(b)} (by its types or the domains and ranges of "
                            "its properties)",
                        )
                    )
    return sorted(set(problems))
