"""Every SHACL node shape fires on a failing fixture, and the project data passes them all.

Fixtures live in tests/fixtures/shacl/<ShapeLocalName>[--<what>].ttl. Each begins with a comment
naming the rule it breaks and an ``# expect:`` line: a part of the sh:message the shape must
report for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF
from rdflib.term import BNode, URIRef

from regkg.datafiles import DataFile, LoadedFile
from regkg.shacl import check_shapes

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "shacl"
FIXTURES = sorted(FIXTURE_DIR.glob("*.ttl"))
RKS = rdflib.Namespace("https://w3id.org/regkg/shapes#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")

# Some fixtures carry ill-typed literals on purpose; rdflib would log a traceback for each.
logging.getLogger("rdflib.term").setLevel(logging.ERROR)


@dataclass
class Base:
    """What every validation run shares: the shapes and the ontology and reference files."""

    shapes: rdflib.Graph
    loaded: list[LoadedFile]
    union: rdflib.Graph


def _load(path: Path, kind: str) -> LoadedFile:
    return LoadedFile(DataFile(path, "", kind), rdflib.Graph().parse(path, format="turtle"))


def _union(loaded: list[LoadedFile]) -> rdflib.Graph:
    union = rdflib.Graph()
    for item in loaded:
        union += item.graph
    return union


@pytest.fixture(scope="module")
def base() -> Base:
    shapes = rdflib.Graph().parse(ROOT / "ontology" / "shapes.ttl", format="turtle")
    loaded = [_load(ROOT / "ontology" / "regkg.ttl", "ontology")]
    loaded += [_load(p, "reference") for p in sorted((ROOT / "data" / "reference").glob("*.ttl"))]
    return Base(shapes, loaded, _union(loaded))


def node_shapes(shapes: rdflib.Graph) -> set[URIRef]:
    return {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}


def shape_subset(shapes: rdflib.Graph, shape: URIRef) -> rdflib.Graph:
    """One node shape with everything it uses: its blank-node constraints, the named shapes it
    refers to (sh:node) and the prefix declarations of its SPARQL constraints (sh:prefixes).

    Running one shape instead of all of them shows that each fixture breaks the shape it is named
    for (tests/test_shacl_compiled.py runs every fixture against all shapes, with pyshacl too).
    """
    subset = rdflib.Graph()
    for prefix, namespace in shapes.namespaces():
        subset.bind(prefix, namespace)
    todo, seen = [shape], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in shapes.predicate_objects(node):
            subset.add((node, p, o))
            if isinstance(o, BNode) or (isinstance(o, URIRef) and (o, None, None) in shapes):
                todo.append(o)
    return subset


def names_shape(message: str, shape: URIRef) -> bool:
    """Whether a problem message ends by naming the node shape, compacted or not."""
    local = str(shape).removeprefix(str(RKS))
    return message.endswith((f"[rks:{local}]", f"[<{shape}>]"))


def expected_shape(fixture: Path) -> URIRef:
    return RKS[fixture.stem.split("--")[0]]


def header(fixture: Path) -> tuple[str, str]:
    """The fixture's opening comment and the message part it expects (``# expect: ...``)."""
    lines = fixture.read_text(encoding="utf-8").splitlines()
    comment = lines[0] if lines and lines[0].startswith("#") else ""
    expects = [line.split(":", 1)[1].strip() for line in lines if line.startswith("# expect:")]
    return comment, expects[0] if expects else ""


def run(base: Base, fixture: Path, shapes: rdflib.Graph):
    item = _load(fixture, "document")
    union = base.union + item.graph
    return check_shapes(union, shapes, [*base.loaded, item], ROOT)


def listing(problems) -> str:
    return "\n".join(str(p) for p in problems) or "(no problems at all)"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_fixture_fires_its_shape(base: Base, fixture: Path) -> None:
    shape = expected_shape(fixture)
    comment, expect = header(fixture)
    assert comment, f"{fixture.name} must begin with a comment saying which rule it breaks"
    assert expect, f"{fixture.name} needs an '# expect: <part of the shape's message>' line"
    assert shape in node_shapes(base.shapes), f"{fixture.name}: no node shape {shape} in shapes.ttl"

    problems = run(base, fixture, shape_subset(base.shapes, shape))

    display = DataFile(fixture, "", "document").display(ROOT)
    fired = [p for p in problems if names_shape(p.message, shape)]
    assert fired, f"{shape} did not fire on {fixture.name}; problems found:\n{listing(problems)}"
    hits = [p for p in fired if expect in p.message and p.file == display]
    assert hits, (
        f"{shape} fired on {fixture.name}, but no problem in {display} says {expect!r}; "
        f"problems found:\n{listing(problems)}"
    )


def test_every_shape_has_a_fixture(base: Base) -> None:
    covered = {expected_shape(f) for f in FIXTURES}
    missing = sorted(str(s) for s in node_shapes(base.shapes) - covered)
    assert not missing, "node shapes without a failing fixture in tests/fixtures/shacl/:\n" + "\n".join(missing)


def test_project_data_passes_every_shape(base: Base) -> None:
    documents = [_load(p, "document") for p in sorted((ROOT / "data" / "documents").glob("*.ttl"))]
    assert documents, "no data/documents/*.ttl found"
    loaded = [*base.loaded, *documents]
    problems = check_shapes(_union(loaded), base.shapes, loaded, ROOT)
    assert not problems, f"{len(problems)} SHACL problem(s) in the project data:\n{listing(problems)}"


def test_problem_names_the_fixture_file_and_the_shape_message(base: Base) -> None:
    """With the full shapes graph: the problem points at the file that describes the focus node
    and reads as the shape's sh:message, not as a bare SHACL IRI."""
    fixture = FIXTURE_DIR / "CitedShape.ttl"
    problems = run(base, fixture, base.shapes)
    cited = [p for p in problems if names_shape(p.message, RKS.CitedShape)]
    assert len(cited) == 1, f"expected one rks:CitedShape problem; problems found:\n{listing(problems)}"
    problem = cited[0]

    assert problem.file.endswith(fixture.name), problem
    assert problem.file == str(fixture.relative_to(ROOT)), problem
    assert problem.focus.endswith("test/measure/uncited"), problem
    assert problem.path == "rk:citation", problem

    property_shape = base.shapes.value(RKS.CitedShape, SH.property)
    sh_message = str(base.shapes.value(property_shape, SH.message))
    assert problem.message.startswith(sh_message), problem
    words = problem.message.split("[")[0].split()
    assert len(words) >= 5 and not words[0].startswith(("http", "<", "sh:")), problem
