"""The compiled SHACL validator (regkg.shacl_compiled) reports what pyshacl reports.

pyshacl is the reference oracle here, and only here: for every failing fixture of
tests/fixtures/shacl/, the project data, a synthetic corpus and deliberately broken copies of
both, the compiled validator and pyshacl must give the same validation results (focus, path,
source shape, message, value, severity) and the same problems (file, focus, path, message).
SHACL features used nowhere in ontology/shapes.ttl but supported are checked on small shapes
graphs; unsupported ones must be refused at compile time.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate as pyshacl_validate
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.term import BNode, Literal, Node

from regkg.datafiles import DataFile, LoadedFile
from regkg.namespaces import ELI, ID, OA, RK, SH, TIME
from regkg.report import Problem
from regkg.shacl import _origin, _Terms, check_shapes, check_shapes_store
from regkg.shacl_compiled import (
    ShapeCompileError,
    compile_shapes,
    node_shape,
    path_text,
    run_checks,
    value_text,
)
from regkg.synth import synthesize
from regkg.terms import compact, describe

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "shacl").glob("*.ttl"))
SHAPES_FILE = ROOT / "ontology" / "shapes.ttl"
# A smallest synthetic corpus whose texts cover every kind of text (see tests/test_synth.py).
SYNTH_SEED, SYNTH_N = 121, 8

logging.getLogger("rdflib.term").setLevel(logging.ERROR)

# (focus, path, node shape, message, value, severity): one validation result, as both sides see it
Result = tuple[str, str, str, str, str, str]


# ------------------------------------------------------------------ the two validators


def _message(messages: list[str]) -> str:
    return messages[0] if messages else "violates a shape"


def pyshacl_run(
    union: rdflib.Graph, shapes: rdflib.Graph, loaded: list[LoadedFile]
) -> tuple[set[Result], set[Problem]]:
    """pyshacl's results, and the problems regkg.shacl.check_shapes made of them before compiling."""
    _conforms, results, _text = pyshacl_validate(
        data_graph=union, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    found, problems = set(), set()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        message = _message(sorted(str(m) for m in results.objects(result, SH.resultMessage)))
        shape = node_shape(results.value(result, SH.sourceShape), shapes)
        value = results.value(result, SH.value)
        path = path_text(results.value(result, SH.resultPath), results)
        severity = str(results.value(result, SH.resultSeverity))
        found.add((describe(focus, union), path, _shape(shape), message, _value(value), severity))
        if severity != str(SH.Violation):
            continue
        text = message
        if value is not None and value != focus and not isinstance(value, BNode):
            text += f" (value: {value_text(value)})"
        if shape is not None:
            text += f" [{compact(shape)}]"
        problems.add(Problem(_origin(focus, loaded, ROOT), "shacl", describe(focus, union), path, text))
    return found, problems


def compiled_run(
    union: rdflib.Graph, shapes: rdflib.Graph, loaded: list[LoadedFile]
) -> tuple[set[Result], set[Problem]]:
    """The compiled validator's results and problems (through regkg.shacl.check_shapes)."""
    terms = _Terms()
    store = ox.Store()
    store.bulk_extend(ox.Quad(terms.to_ox(s), terms.to_ox(p), terms.to_ox(o)) for s, p, o in union)
    found = set()
    for v in run_checks(store, compile_shapes(shapes)):
        focus, value = terms.to_rdflib(v.focus), terms.to_rdflib(v.value) if v.value is not None else None
        found.add((describe(focus, union), v.path, v.check.shape or "", v.message, _value(value), v.check.severity))
    return found, set(check_shapes(union, shapes, loaded, ROOT))


def _shape(shape: Node | None) -> str:
    return compact(shape) if shape is not None else ""


def _value(value: Node | None) -> str:
    if value is None:
        return ""
    return f"_:{value}" if isinstance(value, BNode) else value_text(value)


def _listing(items: set) -> str:
    return "\n".join(f"    {item}" for item in sorted(items, key=str)) or "    (none)"


def assert_same(union: rdflib.Graph, shapes: rdflib.Graph, loaded: list[LoadedFile], what: str) -> set[Problem]:
    """Both validators agree on the results and on the problems; returns the problems."""
    expected, expected_problems = pyshacl_run(union, shapes, loaded)
    got, got_problems = compiled_run(union, shapes, loaded)
    assert got == expected, (
        f"{what}: the compiled validator and pyshacl disagree\n"
        f"  only pyshacl reports:\n{_listing(expected - got)}\n"
        f"  only the compiled validator reports:\n{_listing(got - expected)}"
    )
    assert got_problems == expected_problems, (
        f"{what}: same results but different problems\n"
        f"  only from pyshacl:\n{_listing(expected_problems - got_problems)}\n"
        f"  only from the compiled validator:\n{_listing(got_problems - expected_problems)}"
    )
    return got_problems


# ------------------------------------------------------------------ data


def _load(path: Path, kind: str) -> LoadedFile:
    return LoadedFile(DataFile(path, "", kind), rdflib.Graph().parse(path, format="turtle"))


def _union(loaded: list[LoadedFile]) -> rdflib.Graph:
    union = rdflib.Graph()
    for item in loaded:
        union += item.graph
    return union


def _project(root: Path) -> list[LoadedFile]:
    """Ontology, reference data and documents of a project root, as the build orders them."""
    loaded = [_load(root / "ontology" / "regkg.ttl", "ontology")]
    loaded += [_load(p, "reference") for p in sorted((root / "data" / "reference").glob("*.ttl"))]
    return loaded + [_load(p, "document") for p in sorted((root / "data" / "documents").glob("*.ttl"))]


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES_FILE, format="turtle")


@pytest.fixture(scope="module")
def base() -> list[LoadedFile]:
    loaded = [_load(ROOT / "ontology" / "regkg.ttl", "ontology")]
    return loaded + [_load(p, "reference") for p in sorted((ROOT / "data" / "reference").glob("*.ttl"))]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> list[LoadedFile]:
    out = tmp_path_factory.mktemp("synth") / f"n{SYNTH_N}-seed{SYNTH_SEED}"
    synthesize(out, SYNTH_N, SYNTH_SEED, project_root=ROOT)
    return _project(out)


# ------------------------------------------------------------------ deliberate breakage


@dataclass
class Data:
    """Files being broken on purpose: each change goes to the file that describes the subject."""

    loaded: list[LoadedFile]

    @property
    def union(self) -> rdflib.Graph:
        return _union(self.loaded)

    def first(self, query: str) -> rdflib.query.ResultRow | None:
        rows = sorted(self.union.query(query, initNs=NS), key=lambda r: [str(x) for x in r])
        return rows[0] if rows else None

    def owner(self, subject: Node) -> rdflib.Graph:
        return next(item.graph for item in self.loaded if (subject, None, None) in item.graph)

    def remove(self, s: Node, p: Node, o: Node | None = None) -> None:
        for item in self.loaded:
            item.graph.remove((s, p, o))

    def add(self, s: Node, p: Node, o: Node) -> None:
        self.owner(s).add((s, p, o))

    def replace(self, s: Node, p: Node, o: Node) -> None:
        graph = self.owner(s)
        self.remove(s, p)
        graph.add((s, p, o))


NS = {"rk": RK, "oa": OA, "eli": ELI, "time": TIME, "rdfs": RDFS, "skos": SKOS, "xsd": XSD, "owl": rdflib.OWL}


def _break_label(d: Data) -> bool:
    row = d.first("SELECT ?m ?l { ?m a rk:MedicinalProduct ; rdfs:label ?l FILTER(lang(?l) = 'fr') }")
    return bool(row) and not d.remove(row[0], RDFS.label, row[1])


def _two_labels(d: Data) -> bool:
    row = d.first("SELECT ?p { ?p a rk:Person }")
    return bool(row) and not d.add(row[0], RDFS.label, Literal("Someone else", lang="en"))


def _uncited(d: Data) -> bool:
    row = d.first("SELECT ?m { ?m a rk:AccessMeasure }")
    return bool(row) and not d.remove(row[0], RK.citation)


def _ill_typed_date(d: Data) -> bool:
    row = d.first("SELECT ?t { ?t a rk:TimePoint ; time:inXSDDate ?d }")
    return bool(row) and not d.replace(row[0], TIME.inXSDDate, Literal("2023-02-30", datatype=XSD.date))


def _sequence_text(d: Data) -> bool:
    row = d.first("SELECT ?i { ?i a rk:TherapeuticIndication ; rk:sequence ?s }")
    return bool(row) and not d.replace(row[0], RK.sequence, Literal("first"))


def _exploited_by_authority(d: Data) -> bool:
    row = d.first("SELECT ?m { ?m a rk:MedicinalProduct ; rk:exploitedBy ?c }")
    return bool(row) and not d.replace(row[0], RK.exploitedBy, ID["org/ansm"])


def _untyped_selector(d: Data) -> bool:
    row = d.first("SELECT ?c ?s { ?x rk:citation ?c . ?c oa:hasSelector ?s }")
    return bool(row) and not d.remove(row[1], RDF.type, OA.TextQuoteSelector)


def _period_backwards(d: Data) -> bool:
    row = d.first("SELECT ?e { ?p time:hasBeginning/time:inXSDDate ?a ; time:hasEnd ?e . ?e time:inXSDDate ?b }")
    return bool(row) and not d.replace(row[0], TIME.inXSDDate, Literal("1999-01-01", datatype=XSD.date))


def _no_text(d: Data) -> bool:
    row = d.first("SELECT ?m { ?m a rk:AccessMeasure ; rk:establishedBy|rk:reportedIn ?t }")
    return bool(row) and not (d.remove(row[0], RK.establishedBy) or d.remove(row[0], RK.reportedIn))


def _cpc_without_board(d: Data) -> bool:
    row = d.first(
        "SELECT ?i ?c { ?m rk:framework <https://w3id.org/regkg/id/framework/cpc> ; rk:hasIndication ?i . "
        "?i rk:hasCondition ?c . ?c a rk:BoardProposalCondition }"
    )
    return bool(row) and not d.remove(row[0], RK.hasCondition, row[1])


def _tagged_quote(d: Data) -> bool:
    row = d.first("SELECT ?s ?q { ?s oa:exact ?q }")
    return bool(row) and not d.replace(row[0], OA.exact, Literal(str(row[1]), lang="fr"))


def _empty_quote(d: Data) -> bool:
    row = d.first("SELECT ?s { ?s a oa:TextQuoteSelector ; oa:exact ?q FILTER(STRLEN(?q) > 40) }")
    return bool(row) and not d.replace(row[0], OA.exact, Literal(""))


def _zero_prior_lines(d: Data) -> bool:
    row = d.first("SELECT ?c { ?c a rk:PriorTreatmentCondition }")
    return bool(row) and not d.add(row[0], RK.minimumPriorLines, Literal(0))


def _bad_atc(d: Data) -> bool:
    row = d.first("SELECT ?m { ?m a rk:MedicinalProduct }")
    return bool(row) and not d.add(row[0], RK.atcCode, Literal("L01-XX"))


def _unknown_combination(d: Data) -> bool:
    row = d.first("SELECT ?c { ?c rk:modalityCombination ?x }")
    return bool(row) and not d.replace(row[0], RK.modalityCombination, RK.SomeOf)


def _unknown_with_date(d: Data) -> bool:
    row = d.first("SELECT ?t { ?t rk:dateStatus rk:DateUnknown }")
    return bool(row) and not d.add(row[0], TIME.inXSDDate, Literal("2024-01-01", datatype=XSD.date))


def _two_parents(d: Data) -> bool:
    row = d.first("SELECT ?p { ?p a rk:Article ; eli:is_part_of ?d }")
    return bool(row) and not d.add(row[0], ELI.is_part_of, ID["eli/code/csp"])


def _term_without_definition(d: Data) -> bool:
    row = d.first("SELECT ?c { ?c a owl:Class ; skos:definition ?d FILTER(STRSTARTS(STR(?c), STR(rk:))) }")
    return bool(row) and not d.remove(row[0], SKOS.definition)


def _provision_elsewhere(d: Data) -> bool:
    row = d.first(
        "SELECT ?c ?other { ?x rk:citation ?c . ?c oa:hasSource ?doc . ?other eli:is_part_of ?d2 . "
        "?d2 rk:sourceFile ?f FILTER(?d2 != ?doc) }"
    )
    return bool(row) and not d.replace(row[0], RK.provision, row[1])


def _bad_source_file(d: Data) -> bool:
    row = d.first("SELECT ?d { ?d rk:sourceFile ?f }")
    return bool(row) and not d.replace(row[0], RK.sourceFile, Literal("bad name.pdf"))


def _deadline_text(d: Data) -> bool:
    row = d.first("SELECT ?o { ?o rk:deadline ?x }")
    return bool(row) and not d.replace(row[0], RK.deadline, Literal("six mois"))


def _boolean_yes(d: Data) -> bool:
    row = d.first("SELECT ?p { ?p rk:endInclusive ?x }")
    return bool(row) and not d.replace(row[0], RK.endInclusive, Literal("yes", datatype=XSD.boolean))


def _bad_nor(d: Data) -> bool:
    row = d.first("SELECT ?n { ?n a rk:InformationNote }")
    return bool(row) and not d.add(row[0], RK.nor, Literal("msah2426787n"))


def _detached_signature(d: Data) -> bool:
    row = d.first("SELECT ?d ?s { ?d rk:signature ?s }")
    return bool(row) and not d.remove(row[0], RK.signature, row[1])


def _two_frameworks(d: Data) -> bool:
    row = d.first("SELECT ?m { ?m a rk:AccessMeasure ; rk:framework ?f }")
    return bool(row) and not d.add(row[0], RK.framework, ID["framework/aac"])


def _untyped_citation(d: Data) -> bool:
    row = d.first("SELECT ?c { ?x rk:citation ?c . ?c a rk:Citation }")
    return bool(row) and not d.remove(row[0], RDF.type, RK.Citation)


BREAKAGES: list[Callable[[Data], bool]] = [
    _break_label,
    _two_labels,
    _uncited,
    _ill_typed_date,
    _sequence_text,
    _exploited_by_authority,
    _untyped_selector,
    _period_backwards,
    _no_text,
    _cpc_without_board,
    _tagged_quote,
    _empty_quote,
    _zero_prior_lines,
    _bad_atc,
    _unknown_combination,
    _unknown_with_date,
    _two_parents,
    _term_without_definition,
    _provision_elsewhere,
    _bad_source_file,
    _deadline_text,
    _boolean_yes,
    _bad_nor,
    _detached_signature,
    _two_frameworks,
    _untyped_citation,
]


def broken(
    loaded: list[LoadedFile], breakages: list[Callable[[Data], bool]] = BREAKAGES
) -> tuple[list[LoadedFile], list[str]]:
    """A copy of the files with every breakage that finds something to break; and their names."""
    data = Data([LoadedFile(item.file, copy.deepcopy(item.graph)) for item in loaded])
    applied = [b.__name__ for b in breakages if b(data)]
    return data.loaded, applied


# ------------------------------------------------------------------ parity on the project's shapes


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_fixture(shapes: rdflib.Graph, base: list[LoadedFile], fixture: Path) -> None:
    loaded = [*base, _load(fixture, "document")]
    problems = assert_same(_union(loaded), shapes, loaded, fixture.name)
    assert problems, f"{fixture.name} is a failing fixture but neither validator found a problem"


def test_project_data(shapes: rdflib.Graph) -> None:
    loaded = _project(ROOT)
    problems = assert_same(_union(loaded), shapes, loaded, "project data")
    assert not problems, "the project data must pass every shape:\n" + _listing(set(problems))


def test_project_data_broken(shapes: rdflib.Graph) -> None:
    loaded, applied = broken(_project(ROOT))
    assert len(applied) >= 18, f"only {applied} could break the project data"
    problems = assert_same(_union(loaded), shapes, loaded, f"broken project data ({', '.join(applied)})")
    assert len({p.message.rsplit("[", 1)[-1] for p in problems}) >= 12, _listing(set(problems))


def test_synthetic_corpus(shapes: rdflib.Graph, synthetic: list[LoadedFile]) -> None:
    problems = assert_same(_union(synthetic), shapes, synthetic, f"synthetic corpus N={SYNTH_N} seed={SYNTH_SEED}")
    assert not problems, "the synthetic corpus must pass every shape:\n" + _listing(set(problems))


def test_synthetic_corpus_broken(shapes: rdflib.Graph, synthetic: list[LoadedFile]) -> None:
    loaded, applied = broken(synthetic)
    missing = sorted({b.__name__ for b in BREAKAGES} - set(applied))
    assert not missing, f"breakages that found nothing to break in the synthetic corpus: {missing}"
    problems = assert_same(_union(loaded), shapes, loaded, "broken synthetic corpus")
    assert len({p.message.rsplit("[", 1)[-1] for p in problems}) >= 15, _listing(set(problems))


def test_store_entry_point(shapes: rdflib.Graph, synthetic: list[LoadedFile]) -> None:
    """check_shapes_store over a store holding one named graph per file, parsed by pyoxigraph as
    the build does, gives the problems check_shapes gives. (Not with an ill-typed boolean: rdflib
    reads "yes"^^xsd:boolean as "false", and no longer ill-typed once written out again.)"""
    loaded, _applied = broken(synthetic, [b for b in BREAKAGES if b is not _boolean_yes])
    union = _union(loaded)
    store, files = ox.Store(), {}
    for index, item in enumerate(loaded):
        graph = ox.NamedNode(f"urn:test:file:{index}")
        files[graph.value] = (index, item.file.display(ROOT))
        store.load(item.graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=graph)
    problems = check_shapes_store(
        store, compile_shapes(shapes), lambda graph, _focus: files[graph][1], rank=lambda graph: files[graph][0]
    )
    expected = check_shapes(union, shapes, loaded, ROOT)
    assert set(problems) == set(expected), (
        f"only from check_shapes:\n{_listing(set(expected) - set(problems))}\n"
        f"only from check_shapes_store:\n{_listing(set(problems) - set(expected))}"
    )


# ------------------------------------------------------------------ features ontology/shapes.ttl does not use

PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
"""

EXTRA_SHAPES = (
    PREFIXES
    + """
ex: a owl:Ontology ; sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .

ex:NodeKindShape a sh:NodeShape ; sh:targetNode ex:a , ex:b , "a literal" ;
    sh:nodeKind sh:IRI ; sh:message "target must be an IRI" ;
    sh:property [ sh:path ex:name ; sh:maxCount 1 ; sh:message "one name" ] .

ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:name ; sh:maxLength 5 ; sh:minCount 2 ; sh:maxCount 3 ;
        sh:message "two or three short names" ] ,
      [ sh:path ex:age ; sh:minExclusive 0 ; sh:maxInclusive 150 ; sh:datatype xsd:integer ; sh:message "an age" ] ,
      [ sh:path ( ex:parent ex:name ) ; sh:minCount 1 ; sh:message "a parent with a name" ] ,
      [ sh:path [ sh:alternativePath ( ex:knows ex:likes ) ] ; sh:class ex:Thing ; sh:message "knows things" ] ,
      [ sh:path [ sh:zeroOrMorePath ex:parent ] ; sh:nodeKind sh:BlankNodeOrIRI ; sh:message "ancestors are nodes" ] ,
      [ sh:path [ sh:oneOrMorePath ex:parent ] ; sh:maxCount 2 ; sh:message "at most two ancestors" ] ,
      [ sh:path [ sh:zeroOrOnePath ex:knows ] ; sh:minCount 2 ; sh:message "self or known" ] ,
      [ sh:path ex:tag ; sh:qualifiedValueShape [ sh:pattern "^x" ] ; sh:qualifiedMaxCount 1 ;
        sh:message "at most one x tag" ] ,
      [ sh:path ex:tag ; sh:qualifiedValueShape [ sh:pattern "^y" ; sh:flags "i" ] ; sh:qualifiedMinCount 3 ;
        sh:message "three y tags" ] ,
      [ sh:path ex:note ; sh:or ( [ sh:datatype xsd:string ] [ sh:datatype xsd:date ] ) ;
        sh:message "note: text or date" ] ,
      [ sh:path ex:label ; sh:languageIn ( "en" "FR-ca" ) ; sh:uniqueLang true ; sh:message "labels in en or fr-CA" ] ,
      [ sh:path ex:code ; sh:in ( "A" "B" 1 ex:c ) ; sh:severity sh:Warning ; sh:message "code warning" ] ,
      [ sh:path ex:status ; sh:hasValue ex:ok ; sh:deactivated true ; sh:message "never checked" ] ,
      [ sh:path ex:size ; sh:message "size shape" ;
        sh:sparql [ sh:prefixes ex: ; sh:message "size {?value} of {$this} too big" ;
                    sh:select "SELECT $this ?value WHERE { $this $PATH ?value FILTER(?value > 10) }" ] ] ;
    sh:sparql [ a sh:SPARQLConstraint ; sh:prefixes ex: ;
        sh:message "{$this} has the odd value {?value} via {?path} ({?extra})" , "une valeur impaire"@fr ;
        sh:select '''SELECT $this ?value ?path ?extra WHERE {
            $this ex:odd ?value . BIND(ex:odd AS ?path) BIND(STR(?value + 1) AS ?extra) }''' ] ,
      [ sh:prefixes ex: ; sh:message "has an even value" ;
        sh:select "SELECT ?value WHERE { $this ex:odd ?value FILTER(?value = 2) }" ] ,
      [ sh:prefixes ex: ; sh:deactivated true ; sh:message "deactivated query" ;
        sh:select "SELECT $this WHERE { $this ?p ?o }" ] .

ex:FriendShape a sh:PropertyShape ; sh:targetSubjectsOf ex:friend ; sh:path ex:friend ;
    sh:node ex:PersonShape ; sh:message "friends are persons" .
ex:PersonShape a sh:NodeShape ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "a person has a name" ] ,
      [ sh:path ex:pet ; sh:node ex:PetShape ; sh:message "pets are pets" ] .
ex:PetShape a sh:NodeShape ; sh:property [ sh:path ex:species ; sh:minCount 1 ; sh:message "a pet has a species" ] .

ex:FriendOfShape a sh:NodeShape ; sh:targetObjectsOf ex:friend ; sh:severity sh:Info ;
    sh:node ex:PersonShape ; sh:message "befriended nodes are persons" ;
    sh:property [ sh:path ex:name ; sh:maxCount 1 ; sh:message "one name for friends" ] .

ex:ClassTarget a rdfs:Class , sh:NodeShape ;
    sh:property [ sh:path ex:weight ; sh:minInclusive 1 ; sh:maxExclusive 100 ; sh:maxCount 3 ;
        sh:message "up to three weights in [1, 100)" ] .
"""
)

EXTRA_DATA = (
    PREFIXES
    + """
ex:Sub rdfs:subClassOf ex:Thing .
ex:a a ex:Thing ; ex:name "Alexander" , "Al" ; ex:age 0 ; ex:parent ex:b ; ex:knows ex:c ; ex:likes "text" ;
    ex:tag "x1" , "x2" , "Y1" , "y2" ; ex:note "n" , "2020-01-01"^^xsd:date , 5 ;
    ex:label "a"@en-GB , "b"@de , "c"@fr-CA , "d"@FR-CA ; ex:code "A" , "C" , ex:c , 2 ; ex:odd 3 , 2 ;
    ex:size 20 , 5 ; ex:friend ex:c , ex:d ; ex:status ex:bad .
ex:b a ex:Thing ; ex:name "B" ; ex:age 200 , "x"^^xsd:integer , "7" ; ex:parent [ ex:name "anon" ; ex:parent ex:e ] .
ex:c ex:nothing 1 ; ex:pet [ ex:name "Rex" ] .
ex:d a ex:Sub , ex:ClassTarget ; ex:name "Dee" , "Di" ; ex:pet ex:cat ; ex:weight 0 , "big" , 100 , 99 ; ex:size 11 .
ex:cat ex:species "cat" .
ex:z ex:name "Zed" , "Zee" ; ex:weight 1 , 2 , 3 , 4 .
"""
)


def test_extra_features_match_pyshacl() -> None:
    shapes = rdflib.Graph().parse(data=EXTRA_SHAPES, format="turtle")
    data = rdflib.Graph().parse(data=EXTRA_DATA, format="turtle")
    loaded = [LoadedFile(DataFile(ROOT / "extra.ttl", "", "document"), data)]
    problems = assert_same(data, shapes, loaded, "extra features")
    fired = {p.message.rsplit("[", 1)[-1] for p in problems}
    names = ("NodeKindShape", "ThingShape", "FriendShape", "FriendOfShape", "PersonShape", "PetShape", "ClassTarget")
    assert fired == {f"<http://example.org/{name}>]" for name in names}, fired
    got, _problems = compiled_run(data, shapes, loaded)
    severities = {r[-1] for r in got}
    assert severities == {str(SH.Violation), str(SH.Warning), str(SH.Info)}, severities


def test_ill_typed_literals_as_pyoxigraph_reads_them() -> None:
    """Parsed by pyoxigraph (as the build does), ill-typed literals keep their lexical form and
    violate sh:datatype as rdflib would judge them; messages show them as written."""
    shapes = rdflib.Graph().parse(
        data=PREFIXES
        + """ex:S a sh:NodeShape ; sh:targetClass ex:T ;
            sh:property [ sh:path ex:flag ; sh:datatype xsd:boolean ; sh:message "flag" ] ,
              [ sh:path ex:day ; sh:datatype xsd:date ; sh:message "day" ] ,
              [ sh:path ex:n ; sh:datatype xsd:integer ; sh:message "n" ] ,
              [ sh:path ex:d ; sh:datatype xsd:duration ; sh:message "d" ] .""",
        format="turtle",
    )
    store = ox.Store()
    store.load(
        (
            PREFIXES + 'ex:x a ex:T ; ex:flag "yes"^^xsd:boolean , true ; ex:day "2022-02-30"^^xsd:date , '
            '"2024-02-29"^^xsd:date ; ex:n "1.0"^^xsd:integer , "01"^^xsd:integer ; ex:d "P1Y"^^xsd:duration , '
            '"1Y"^^xsd:duration .'
        ).encode(),
        ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode("urn:test:g"),
    )
    problems = check_shapes_store(store, shapes, lambda graph, _focus: graph)
    assert {(p.file, p.focus, p.path, p.message) for p in problems} == {
        (
            "urn:test:g",
            "<http://example.org/x>",
            "<http://example.org/flag>",
            'flag (value: "yes"^^xsd:boolean) [<http://example.org/S>]',
        ),
        (
            "urn:test:g",
            "<http://example.org/x>",
            "<http://example.org/day>",
            'day (value: "2022-02-30"^^xsd:date) [<http://example.org/S>]',
        ),
        (
            "urn:test:g",
            "<http://example.org/x>",
            "<http://example.org/n>",
            'n (value: "1.0"^^xsd:integer) [<http://example.org/S>]',
        ),
        (
            "urn:test:g",
            "<http://example.org/x>",
            "<http://example.org/d>",
            'd (value: "1Y"^^xsd:duration) [<http://example.org/S>]',
        ),
    }, "\n".join(map(str, problems))


UNSUPPORTED = {
    "closed": ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:closed true ; sh:message 'm' .", "sh:closed"),
    "and": (
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:and ( ex:T ) ; sh:message 'm' . ex:T a sh:NodeShape .",
        "sh:and",
    ),
    "not": (
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:not ex:T ; sh:message 'm' . ex:T a sh:NodeShape .",
        "sh:not",
    ),
    "xone": ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:xone ( ex:T ) . ex:T a sh:NodeShape .", "sh:xone"),
    "equals": (
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:equals ex:q ] .",
        "sh:equals",
    ),
    "less-than": ("ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:lessThan ex:q ] .", "sh:lessThan"),
    "component": (
        "ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:max ] . ex:S sh:targetNode ex:a ; ex:max 1 .",
        "sh:ConstraintComponent|sh:parameter",
    ),
    "rule": ("ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:rule [ a sh:TripleRule ] .", "sh:rule|sh:TripleRule"),
    "ask": ("ex:S sh:targetNode ex:a ; sh:sparql [ sh:ask 'ASK {}' ] .", "sh:ask"),
    "custom-target": ("ex:S a sh:NodeShape ; sh:target [ a ex:MyTarget ] ; sh:message 'm' .", "custom target"),
    "no-message": (
        "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
        "no sh:message",
    ),
    "min-count-on-node-shape": ("ex:S sh:targetNode ex:a ; sh:minCount 1 ; sh:message 'm' .", "only property shapes"),
    "flags": ("ex:S sh:targetNode ex:a ; sh:pattern 'a' ; sh:flags 'x' ; sh:message 'm' .", "only i and m"),
    "limit": (
        "ex:S sh:targetNode ex:a ; sh:sparql [ sh:select 'SELECT $this WHERE { $this ?p ?o } LIMIT 1' ] .",
        "LIMIT",
    ),
    "values": (
        "ex:S sh:targetNode ex:a ; sh:sparql [ sh:select 'SELECT $this WHERE { VALUES ?x { 1 } }' ] .",
        "VALUES",
    ),
    "minus": (
        "ex:S sh:targetNode ex:a ; sh:sparql [ sh:select 'SELECT $this WHERE { $this ?p ?o MINUS { $this ?p 1 } }' ] .",
        "MINUS",
    ),
    "aggregate": (
        "ex:S sh:targetNode ex:a ; sh:sparql [ sh:select 'SELECT $this (COUNT(?o) AS ?n) WHERE { $this ?p ?o }' ] .",
        "COUNT",
    ),
    "sub-query": (
        "ex:S sh:targetNode ex:a ; sh:sparql [ sh:select "
        "'SELECT $this WHERE { { SELECT $this WHERE { $this ?p ?o } } }' ] .",
        "sub-query",
    ),
    "shapes-graph": (
        "ex:S sh:targetNode ex:a ; sh:sparql [ sh:select 'SELECT $this WHERE { GRAPH $shapesGraph { ?s ?p ?o } }' ] .",
        "shapesGraph",
    ),
    "no-this": (
        "ex:S sh:targetNode ex:a ; sh:sparql [ sh:select 'SELECT ?o WHERE { $this ?p ?o }' ] .",
        "never reports",
    ),
    "undeclared-prefix": (
        "ex:S sh:targetNode ex:a ; sh:sparql [ sh:select 'SELECT $this WHERE { $this ex:p ?o }' ] .",
        "fails",
    ),
    "nested-sparql": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:node ex:T ; sh:message 'm' ] . "
        "ex:T a sh:NodeShape ; sh:sparql [ sh:select 'SELECT $this WHERE { $this ?p ?o }' ] .",
        "used inside another shape",
    ),
    "recursion": (
        "ex:S sh:targetNode ex:a ; sh:node ex:T ; sh:message 'm' . ex:T a sh:NodeShape ; sh:property "
        "[ sh:path ex:p ; sh:node ex:T ; sh:message 'm' ] .",
        "recursive",
    ),
    "nested-warning": (
        "ex:S sh:targetNode ex:a ; sh:node ex:T ; sh:message 'm' . ex:T a sh:NodeShape ; sh:severity sh:Warning .",
        "severity",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
def test_unsupported_features_are_refused(case: str) -> None:
    snippet, expected = UNSUPPORTED[case]
    shapes = rdflib.Graph().parse(data=PREFIXES + snippet, format="turtle")
    with pytest.raises(ShapeCompileError, match=expected):
        compile_shapes(shapes)
