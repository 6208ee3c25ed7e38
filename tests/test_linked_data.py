"""Linked data over a real server: dereferenceable IRIs, pages, RDF descriptions, dataset
description, dumps and JSON-LD context."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import httpx
import pytest
import rdflib

from regkg import Store
from regkg.namespaces import ID, SKOLEM_BASE
from regkg.privacy import find_personal_contacts

from .server import running_server

PPGL = "measure/lutathera-cpc-2022/indication/ppgl"
NOTE = "eli/dgos-dss/note/2024/10/08/2024-148"
DECISION = "eli/ansm/decision/2022/04/05/cpc-lutathera"
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


@pytest.fixture(scope="module")
def base(built_store: Store) -> Iterator[str]:
    with running_server(built_store.path) as url:
        yield str(url)


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as c:
        yield c


def minted(store: Store) -> list[str]:
    rows = store.query(f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{ID}")) }} ORDER BY ?s')
    return [r["s"].value for r in rows]


def test_html_page_shows_labels_types_links_and_the_quote_in_context(client: httpx.Client) -> None:
    page = client.get(f"/id/{PPGL}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Phéochromocytome/paragangliome (PPGL)" in html, "French label"
    assert "pheochromocytoma/paraganglioma (PPGL)" in html, "English label"
    assert "indication thérapeutique" in html, "type label"
    assert 'href="/id/measure/lutathera-cpc-2022/indication/ppgl/condition/board-proposal"' in html
    assert "<mark>Phéochromocytome/paragangliome (PPGL) métastatique" in html, "the verbatim quote"
    assert f'href="/id/{DECISION}/art_1"' in html, "the quote links to its article"
    assert "Article 1" in html


@pytest.mark.parametrize("media,parser", sorted(RDF_TYPES.items()))
def test_rdf_descriptions_by_accept(client: httpx.Client, media: str, parser: str) -> None:
    response = client.get(f"/id/{PPGL}", headers={"Accept": media})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    g = rdflib.Graph().parse(data=response.content, format=parser)
    subject = rdflib.URIRef(str(ID) + PPGL)
    assert (subject, rdflib.RDF.type, rdflib.URIRef("https://w3id.org/regkg/ontology#TherapeuticIndication")) in g
    exact = rdflib.URIRef("http://www.w3.org/ns/oa#exact")
    assert any("sur proposition de la RCP nationale Comete" in str(o) for o in g.objects(None, exact)), (
        "the description includes the citation and its quote"
    )
    board_condition = rdflib.URIRef(str(ID) + PPGL + "/condition/board-proposal")
    assert g.value(board_condition, rdflib.RDFS.label) is not None, "labels of linked resources are included"


def test_format_parameter_overrides_accept(client: httpx.Client) -> None:
    response = client.get("/id/board/comete", params={"format": "ntriples"}, headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("application/n-triples")
    assert "<https://w3id.org/regkg/id/board/comete>" in response.text


def test_unknown_iris_are_404(client: httpx.Client) -> None:
    for accept in ("text/html", "text/turtle"):
        assert client.get("/id/medicine/aspirin", headers={"Accept": accept}).status_code == 404
    assert client.get("/id/board/comete", headers={"Accept": "image/png"}).status_code == 406


def test_document_page_shows_its_logical_structure(client: httpx.Client) -> None:
    html = client.get(f"/id/{DECISION}", headers={"Accept": "text/html"}).text
    assert "Structure du texte" in html
    positions = [html.index(f'href="/id/{DECISION}/art_{n}"') for n in range(1, 6)]
    assert positions == sorted(positions), "articles appear in their order"
    art1, art2 = html.index(f'href="/id/{DECISION}/art_1"'), html.index(f'href="/id/{DECISION}/art_2"')
    meningioma = html.index("Méningiome de tous grades, exprimant")
    assert art1 < meningioma < art2, "the indications are shown under Article 1, their logical place"


def test_every_minted_iri_dereferences(client: httpx.Client, built_store: Store) -> None:
    iris = minted(built_store)
    assert len(iris) > 300
    failures = []
    for iri in iris:
        path = "/id/" + iri[len(str(ID)) :]
        turtle = client.get(path, headers={"Accept": "text/turtle"})
        if turtle.status_code != 200 or f"<{iri}>" not in turtle.text:
            failures.append(f"{turtle.status_code} turtle {iri}")
        if not iri.startswith(SKOLEM_BASE):
            html = client.get(path, headers={"Accept": "text/html"})
            if html.status_code != 200:
                failures.append(f"{html.status_code} html {iri}")
            elif find_personal_contacts(html.text):
                failures.append(f"personal contact details on the page of {iri}: {find_personal_contacts(html.text)}")
    assert not failures, "\n".join(failures[:20])


def test_no_page_republishes_personal_contacts(client: httpx.Client) -> None:
    for path in (f"/id/{NOTE}", "/id/org/dgos/ri2", "/id/org/dss/1c", "/.well-known/void", "/ontology"):
        text = client.get(path, headers={"Accept": "text/html"}).text
        assert find_personal_contacts(text) == [], path
        assert "06 61 87 21 63" not in text and "damien.brue" not in text


def test_ontology_page_and_rdf(client: httpx.Client) -> None:
    html = client.get("/ontology", headers={"Accept": "text/html"}).text
    assert 'id="MedicinalProduct"' in html and "spécialité pharmaceutique" in html
    g = rdflib.Graph().parse(data=client.get("/ontology", headers={"Accept": "text/turtle"}).content, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/regkg/ontology"), rdflib.OWL.versionIRI, None) in g


def test_void_describes_the_dataset(client: httpx.Client, built_store: Store, base: str) -> None:
    g = rdflib.Graph().parse(data=client.get("/.well-known/void").content, format="turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    ds = rdflib.URIRef(f"{base}/.well-known/void#dataset")
    assert int(g.value(ds, void.triples)) == len(built_store)
    assert g.value(ds, void.sparqlEndpoint) == rdflib.URIRef(f"{base}/sparql")
    assert g.value(ds, rdflib.DCTERMS.license) is not None
    assert len(list(g.objects(ds, void.subset))) == 4, "one subset per named graph"
    assert len(list(g.objects(ds, void.classPartition))) > 20
    assert len(list(g.objects(ds, void.propertyPartition))) > 40
    assert set(g.objects(ds, rdflib.DCTERMS.source)) == {
        rdflib.URIRef(str(ID) + DECISION),
        rdflib.URIRef(str(ID) + NOTE),
    }
    dumps = {str(o) for o in g.objects(ds, void.dataDump)}
    assert dumps == {f"{base}/download/regkg.nq.gz", f"{base}/download/regkg.trig.gz"}
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    assert len(list(g.objects(ds, dcat.distribution))) == 2


def test_dumps_hold_the_whole_dataset(client: httpx.Client, built_store: Store) -> None:
    listing = client.get("/download/").json()
    assert all(d["available"] for d in listing["dumps"])
    nquads = gzip.decompress(client.get("/download/regkg.nq.gz").content)
    ds = rdflib.Dataset()
    ds.parse(data=nquads, format="nquads")
    assert len(list(ds.quads())) == len(built_store)
    trig = rdflib.Dataset()
    trig.parse(data=gzip.decompress(client.get("/download/regkg.trig.gz").content), format="trig")
    assert len(list(trig.quads())) == len(built_store)
    assert client.get("/download/secrets.txt").status_code == 404


def test_jsonld_context(client: httpx.Client) -> None:
    context = json.loads(client.get("/context.jsonld").text)["@context"]
    assert context["rk"] == "https://w3id.org/regkg/ontology#"
    assert context["exploitedBy"] == {"@id": "https://w3id.org/regkg/ontology#exploitedBy", "@type": "@id"}
    assert context["productName"] == {"@id": "https://w3id.org/regkg/ontology#productName"}


def test_health(client: httpx.Client, built_store: Store) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["digest"] == built_store.info["digest"]
