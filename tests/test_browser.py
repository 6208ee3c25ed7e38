"""The query page (GET /) in a real browser: Debian's chromium driven by Playwright, against a real
``regkg serve`` process over a store built from the shipped data.

Needs /usr/bin/chromium (apt-get install chromium) and the playwright Python package (no
``playwright install``: the test launches the system chromium). Without them the browser test is
skipped, except in CI (CI set), where it fails.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from regkg import Settings, build
from regkg.namespaces import PREFIXES
from regkg.service import query_page

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[test]')")
    return " and ".join(missing) + " missing" if missing else None


# -- the page, without a browser -------------------------------------------------------------


def test_saved_queries_are_parsed(tmp_path: Path) -> None:
    (tmp_path / "b.rq").write_text("#+ summary: Second\n#+ tags: x, y\n# a comment\nASK {}\n", encoding="utf-8")
    (tmp_path / "a.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    queries = query_page.load_saved_queries(tmp_path)
    assert [q.name for q in queries] == ["a", "b"]
    assert queries[0].summary == "" and queries[0].tags == ()
    assert queries[1] == query_page.SavedQuery("b", "Second", ("x", "y"), "# a comment\nASK {}\n")
    assert query_page.load_saved_queries(tmp_path / "absent") == []


def test_every_shipped_query_is_offered_with_the_prefixes() -> None:
    queries = query_page.load_saved_queries(ROOT / "queries")
    assert {q.name for q in queries} >= {"boards", "documents", "obligations", "periods"}
    assert all(q.summary for q in queries)
    config = query_page.page_config(queries)
    assert [e["name"] for e in config["examples"]] == [q.name for q in queries]  # type: ignore[index]
    for text in [config["defaultQuery"], *(e["query"] for e in config["examples"])]:  # type: ignore[attr-defined]
        for prefix, iri in PREFIXES.items():
            assert f"PREFIX {prefix}: <{iri}>\n" in text


def test_injected_text_is_escaped(tmp_path: Path) -> None:
    evil = '</script><script>alert(1)</script> <b>&amp; "quotes"'
    (tmp_path / "evil.rq").write_text(f"#+ summary: {evil}\n#+ tags: <i>t</i>\nASK {{}} # {evil}\n", encoding="utf-8")
    page = query_page.render_page(query_page.load_saved_queries(tmp_path))
    assert page.count("<script") == 3 and page.count("</script>") == 3  # config, yasgui, query.js
    assert "<b>" not in page and "<i>" not in page
    start = page.index('<script id="regkg-config" type="application/json">') + len(
        '<script id="regkg-config" type="application/json">'
    )
    config = json.loads(page[start : page.index("</script>", start)])
    assert config["examples"][0]["summary"] == evil
    assert config["examples"][0]["query"].endswith(f"ASK {{}} # {evil}\n")


# -- the page in a browser -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (it leads its own session), then SIGKILL what is left."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(10)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        process.wait(5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``regkg serve`` over a fresh store; yields its base URL."""
    tmp = tmp_path_factory.mktemp("browser")
    store = tmp / "store"
    build(Settings(root=ROOT, store_path=store), reasoner=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGKG_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "regkg.cli", "serve", "--store", str(store), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"regkg serve exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"regkg serve not healthy within 30 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        _stop(process)


def test_page_and_static_files_are_served(server: str) -> None:
    page = httpx.get(f"{server}/", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for href in ("docs", "sparql", ".well-known/void", "static/yasgui/yasgui.min.js", "static/query.js"):
        assert f'"{href}"' in page.text
    for path in ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css", "yasgui/LICENSE", "query.js", "query.css"):
        assert httpx.get(f"{server}/static/{path}", timeout=10).status_code == 200, path


def test_default_query_answers(server: str) -> None:
    """The query the page opens with: Lutathera's indications, each with its board."""
    text = query_page.editor_text(query_page.DEFAULT_SUMMARY, query_page.DEFAULT_QUERY)
    answer = httpx.post(f"{server}/sparql", data={"query": text}, headers={"Accept": "application/json"}, timeout=10)
    assert answer.status_code == 200, answer.text
    rows = answer.json()["results"]["bindings"]
    assert len(rows) >= 5
    assert {"RCP nationale Comete", "RCP nationale Renaten", "RCP nationale Omega"} <= {
        r["boardLabel"]["value"] for r in rows if "boardLabel" in r
    }


def test_run_an_example_query_in_chromium(server: str, tmp_path: Path) -> None:
    reason = _browser_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(f"browser test skipped: {reason}")
    from playwright.sync_api import sync_playwright

    expected = httpx.post(
        f"{server}/sparql",
        data={"query": (ROOT / "queries" / "boards.rq").read_text(encoding="utf-8")},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    ).json()["results"]["bindings"]
    assert expected

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(20_000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            outside: list[str] = []
            page.on(
                "request",
                lambda r: outside.append(r.url) if r.url.startswith("http") and not r.url.startswith(server) else None,
            )

            try:
                page.goto(f"{server}/")
                page.wait_for_selector(".tabPanel.active .CodeMirror")
                editor = page.evaluate("window.regkgYasgui.getTab().getQuery()")
                assert "lutathera" in editor and "PREFIX rk: <https://w3id.org/regkg/ontology#>" in editor

                page.click("button.example[data-example='boards']")
                page.wait_for_function("window.regkgYasgui.getTab().getName() === 'boards'")
                assert "rk:BoardProposalCondition" in page.evaluate("window.regkgYasgui.getTab().getQuery()")
                assert page.evaluate("window.regkgYasgui.getTab().getEndpoint()") == f"{server}/sparql"

                page.click(".tabPanel.active .yasqe_queryButton")
                rows = page.locator(".tabPanel.active .yasr table.dataTable tbody tr")
                rows.first.wait_for()
                assert rows.count() == len(expected)
                text = page.locator(".tabPanel.active .yasr table.dataTable").text_content() or ""
                assert "comete" in text.lower() and "renaten" in text.lower()
                assert "Lutathera" in text
                assert not errors, errors
                assert not outside, f"the page reached outside the service: {outside}"
            except Exception:
                shot = tmp_path / "failure.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the page: {shot}")
                raise
        finally:
            browser.close()
