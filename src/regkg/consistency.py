"""OWL consistency check with owlready2 and the HermiT reasoner (needs Java)."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

import owlready2
import rdflib
from rdflib.namespace import XSD
from rdflib.term import Literal

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
