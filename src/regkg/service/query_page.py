"""The query page at ``/``: YASGUI (vendored under static/yasgui) over the same-origin /sparql
endpoint, with the project's prefixes pre-declared and the saved queries (queries/*.rq) as examples."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..namespaces import PREFIXES
from ..settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter(tags=["query page"])

DEFAULT_SUMMARY = "Lutathera: its indications, in order, with the multidisciplinary board (RCP) proposing each"
DEFAULT_QUERY = """\
SELECT ?indicationLabel ?boardLabel ?board ?indication WHERE {
  ?measure rk:concernsProduct/rk:productName ?medicine ; rk:hasIndication ?indication .
  FILTER(CONTAINS(LCASE(STR(?medicine)), "lutathera"))
  ?indication rdfs:label ?indicationLabel FILTER(LANG(?indicationLabel) = "fr")
  OPTIONAL { ?indication rk:sequence ?rank }
  OPTIONAL {
    ?indication rk:hasCondition ?condition .
    ?condition a rk:BoardProposalCondition ; rk:board ?board .
    ?board rdfs:label ?boardLabel FILTER(LANG(?boardLabel) = "fr")
  }
}
ORDER BY ?rank
"""


@dataclass(frozen=True)
class SavedQuery:
    """One file of queries/: its name (the file stem), ``#+`` header fields and query text."""

    name: str
    summary: str
    tags: tuple[str, ...]
    query: str


def parse_saved_query(path: Path) -> SavedQuery:
    """A queries/*.rq file: leading ``#+ key: value`` lines, then the query."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fields: dict[str, str] = {}
    body_start = 0
    for index, line in enumerate(lines):
        if not line.startswith("#+"):
            body_start = index
            break
        key, _, value = line[2:].partition(":")
        fields[key.strip().lower()] = value.strip()
    else:
        body_start = len(lines)
    tags = tuple(t.strip() for t in fields.get("tags", "").split(",") if t.strip())
    return SavedQuery(path.stem, fields.get("summary", ""), tags, "\n".join(lines[body_start:]).strip() + "\n")


def load_saved_queries(directory: Path) -> list[SavedQuery]:
    """The saved queries of a directory, by file name; none when it does not exist."""
    if not directory.is_dir():
        return []
    return [parse_saved_query(p) for p in sorted(directory.glob("*.rq")) if p.is_file()]


def prefix_block() -> str:
    """The PREFIX declarations of the project's prefixes (the server also pre-declares them)."""
    return "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())


def editor_text(summary: str, query: str) -> str:
    """What the editor shows for a query: its summary as a comment, the prefixes, the query."""
    comment = "".join(f"# {line}\n" for line in summary.splitlines() if line.strip())
    return f"{comment}{prefix_block()}\n{query.strip()}\n"


def script_json(value: object) -> str:
    """JSON safe to place inside a <script> element (no ``</script>``, ``<!--`` or ``]]>``)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_config(queries: list[SavedQuery]) -> dict[str, object]:
    """What static/query.js needs: the default query, the examples and the prefixes."""
    return {
        "endpoint": "sparql",  # resolved against the page's URL: same origin, same path prefix
        "defaultQuery": editor_text(DEFAULT_SUMMARY, DEFAULT_QUERY),
        "examples": [
            {"name": q.name, "summary": q.summary, "tags": list(q.tags), "query": editor_text(q.summary, q.query)}
            for q in queries
        ],
        "prefixes": PREFIXES,
    }


def _example_list(queries: list[SavedQuery]) -> str:
    if not queries:
        return '<p class="none">Aucune requête enregistrée. / No saved queries.</p>'
    items = []
    for q in queries:
        tags = "".join(f'<span class="tag">{html.escape(t)}</span>' for t in q.tags)
        items.append(
            f'<li><button type="button" class="example" data-example="{html.escape(q.name)}">'
            f'<span class="name">{html.escape(q.name)}</span> <span class="summary">{html.escape(q.summary)}</span>'
            f"</button>{tags}</li>"
        )
    return '<ul class="examples">' + "".join(items) + "</ul>"


def render_page(queries: list[SavedQuery]) -> str:
    """The HTML of the query page."""
    parts = {"examples": _example_list(queries), "config": script_json(page_config(queries))}
    return re.sub(r"\{\{(examples|config)\}\}", lambda m: parts[m[1]], PAGE)


@router.get("/", response_class=HTMLResponse, summary="Query page (YASGUI SPARQL editor with the saved queries)")
def query_page(request: Request) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    return HTMLResponse(render_page(load_saved_queries(settings.queries_dir)))


def mount_static(app: FastAPI) -> None:
    """Serve static/ (YASGUI and the page's script and style) at /static."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>regkg — SPARQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="static/yasgui/yasgui.min.css">
<link rel="stylesheet" href="static/query.css">
</head>
<body>
<header><a class="brand" href="./">regkg</a><a href="./">SPARQL</a><a href="ontology">Ontologie</a>\
<a href=".well-known/void">Dataset</a><a href="docs">API</a></header>
<main>
<h1>Interroger le graphe des règles d'accès aux médicaments
<span class="en">Query the knowledge graph of French drug-access regulations</span></h1>
<div class="intro">
<p lang="fr">Chaque fait du graphe (indications, conditions, obligations, périodes…) est cité : document source,
disposition et citation exacte. Écrivez une requête SPARQL 1.1 ci-dessous ou partez d'un exemple, puis lancez-la
(▶ ou Ctrl+Entrée). Les préfixes du projet (<code>rk:</code>, <code>oa:</code>, <code>eli:</code>…) sont déclarés
d'office.</p>
<p lang="en">Every fact in the graph (indications, conditions, obligations, periods…) is cited: source document,
provision and verbatim quote. Write a SPARQL 1.1 query below or start from an example, then run it (▶ or
Ctrl+Enter). The project's prefixes (<code>rk:</code>, <code>oa:</code>, <code>eli:</code>…) are pre-declared.</p>
<p class="links"><a href="sparql">Point d'accès SPARQL / SPARQL endpoint</a> (<code>/sparql</code>, description
du service / service description) · <a href=".well-known/void">Jeu de données / Dataset (VoID)</a> ·
<a href="docs">API (OpenAPI)</a></p>
</div>
<section aria-labelledby="examples-title">
<h2 id="examples-title">Exemples / Examples</h2>
{{examples}}
</section>
<noscript><p>Cette page a besoin de JavaScript ; le point d'accès <a href="sparql">/sparql</a> s'utilise sans.
/ This page needs JavaScript; the <a href="sparql">/sparql</a> endpoint does not.</p></noscript>
<div id="yasgui"></div>
</main>
<script id="regkg-config" type="application/json">{{config}}</script>
<script src="static/yasgui/yasgui.min.js"></script>
<script src="static/query.js"></script>
</body>
</html>
"""
