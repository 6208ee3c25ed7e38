"""The ``regkg`` command line.

Exit codes: 0 success; 1 the data failed validation; 2 bad input or usage (malformed query,
missing file or store, unknown format).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .backend import open_store, store_exists
from .remote_store import RemoteStoreError
from .settings import Settings
from .store import EXPORT_FORMATS, GRAPH_FORMATS, RESULT_FORMATS, QueryError, StoreMissing

# build/validate pull in pyshacl and owlready2, which are slow to import: they are imported by
# the commands that need them, so that `regkg query` and `regkg export` start fast.

EXIT_OK, EXIT_INVALID, EXIT_BAD_INPUT = 0, 1, 2


def _err(message: str) -> None:
    print(f"regkg: error: {message}", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    from .builder import ValidationFailed, build

    settings = Settings.from_env(args.store)
    try:
        result = build(settings, reasoner=not args.no_reasoner, full=args.full)
    except ValidationFailed as exc:
        print(exc.report.text(), file=sys.stderr)
        _err("build refused: the data has problems; the store was not changed")
        return EXIT_INVALID
    info = result.info
    if result.unchanged:
        print(f"store {settings.store.location} is up to date (digest {info['digest'][:16]}): no data changed")
        return EXIT_OK
    print(f"built {settings.store.location} ({info['quads']} quads, digest {info['digest'][:16]})")
    if "incremental" in info:
        step = info["incremental"]
        print(
            f"  incremental: {step['changed_graphs']} graph(s) changed ({step['quads_changed']} quads), "
            f"{step['nodes_checked']} node(s) re-checked; `regkg build --full` checks everything"
        )
    for graph, count in sorted(info["graphs"].items()):
        print(f"  {count:6d}  {graph}")
    print(result.report.text())
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .datafiles import with_files
    from .ingest import data_view
    from .validation import validate

    settings = Settings.from_env()
    paths = [Path(p) for p in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        _err(f"no such file: {', '.join(missing)}")
        return EXIT_BAD_INPUT
    with data_view(settings) as view:  # the project's files and the ingested documents, as a build sees them
        report, _ = validate(with_files(settings, paths, view.files), view.settings, reasoner=not args.no_reasoner)
        if view.problems:
            report.extend("ingest", view.problems)
    print(report.text(), file=sys.stdout if report.ok else sys.stderr)
    return EXIT_OK if report.ok else EXIT_INVALID


def _read_query(arg: str) -> str:
    path = Path(arg)
    if arg.endswith((".rq", ".sparql")) or (len(arg) < 256 and "\n" not in arg and path.is_file()):
        if not path.is_file():
            raise QueryError(f"no such query file: {arg}")
        return path.read_text(encoding="utf-8")
    return arg


def cmd_query(args: argparse.Namespace) -> int:
    settings = Settings.from_env(args.store)
    try:
        store = open_store(settings)
        text = sys.stdin.read() if args.query == "-" else _read_query(args.query)
        results = store.query(text)
        fmt = args.format or ("turtle" if results.__class__.__name__ == "QueryTriples" else "json")
        sys.stdout.buffer.write(store.serialize(results, fmt))
    except (StoreMissing, QueryError) as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    settings = Settings.from_env(args.store)
    try:
        store = open_store(settings)
    except StoreMissing as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    sys.stdout.buffer.write(store.export(args.format))
    return EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    from .answers.saved_queries import ParameterError, load_saved_queries, run_saved_query, saved_query_page
    from .results import SOLUTION_SERIALIZERS

    settings = Settings.from_env(args.store)
    queries = load_saved_queries(settings.queries_dir)
    if args.list or not args.name:
        for query in queries.values():
            params = " ".join(f"[{p.name}=…]" if p.optional else f"{p.name}=…" for p in query.parameters)
            print(f"{query.name} {params}\n    {query.summary}")
        return EXIT_OK
    if args.name not in queries:
        _err(f"no saved query {args.name!r}; available: {', '.join(queries)}")
        return EXIT_BAD_INPUT
    values = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            _err(f"--param takes key=value, got {item!r}")
            return EXIT_BAD_INPUT
        values[key] = value
    try:
        store = open_store(settings)
        if args.limit is None and not args.offset:
            sys.stdout.buffer.write(store.serialize(run_saved_query(store, queries[args.name], values), args.format))
        else:
            page = saved_query_page(store, queries[args.name], values, limit=args.limit, offset=args.offset)
            sys.stdout.buffer.write(SOLUTION_SERIALIZERS[args.format](page.columns, page.rows))
    except (ParameterError, StoreMissing, QueryError) as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_facts(args: argparse.Namespace) -> int:
    from .answers.facts import facts, facts_document, facts_jsonld, resolve_medicine
    from .answers.search import AnswerError

    settings = Settings.from_env(args.store)
    try:
        store = open_store(settings)
        resolved = resolve_medicine(store, args.medicine) if args.medicine else None
        found = facts(store, q=args.q, medicine=resolved.iri if resolved else None, limit=args.limit)
    except (StoreMissing, AnswerError) as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    if args.format == "text":
        for fact in found:
            print(fact.text_fr if args.lang == "fr" else fact.text_en)
            print(f"    « {fact.citation.quote} » ({fact.citation.provision})")
        return EXIT_OK
    render = facts_jsonld if args.format == "jsonld" else facts_document
    print(json.dumps(render(found, q=args.q, medicine=args.medicine, resolved=resolved), ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from .answers.search import AnswerError, hits_document, hits_jsonld, search

    settings = Settings.from_env(args.store)
    try:
        hits = search(open_store(settings), args.query, limit=args.limit, types=args.type)
    except (StoreMissing, AnswerError) as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    if args.format == "text":
        for hit in hits:
            label = hit.label_fr if args.lang == "fr" else hit.label_en
            print(f"{hit.score:7.2f}  {hit.iri}  {label or ''}\n         {hit.matched} ({hit.match}): {hit.snippet}")
        return EXIT_OK
    body = hits_jsonld(args.query, hits) if args.format == "jsonld" else hits_document(args.query, hits)
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_applicability(args: argparse.Namespace) -> int:
    from .answers.applicability import ApplicabilityError, applicability, facts_from_pairs

    settings = Settings.from_env(args.store)
    try:
        store = open_store(settings)
        facts = facts_from_pairs(args.fact, treatment_start=args.treatment_start, indication=args.indication)
        result = applicability(store, args.medicine, args.date, facts)
    except (StoreMissing, ApplicabilityError) as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    import time

    from .synth import SynthError, synthesize

    settings = Settings.from_env()
    out = Path(args.out) if args.out else settings.root / "var" / "synth"
    started = time.perf_counter()
    try:
        summary = synthesize(out, args.decisions, args.seed, project_root=settings.root, allow_real=args.allow_real)
    except SynthError as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    seconds = time.perf_counter() - started
    kinds = ", ".join(f"{count} {kind}" for kind, count in summary.kinds.items()) or "none"
    print(f"wrote {summary.documents} synthetic texts (seed {summary.seed}) to {out} in {seconds:.1f} s: {kinds}")
    print(f"  {summary.files} files, about {summary.triples:,} triples, {summary.bytes / 1e6:.1f} MB")
    print(f"  data/documents/synth-*.ttl, data/sources/synth-*.txt, {', '.join(summary.reference_files)}")
    if summary.copied:
        print(f"  copied from {settings.root}: {', '.join(summary.copied)}")
    print(f"build it: REGKG_HOME={out} regkg build --no-reasoner")
    return EXIT_OK


def cmd_new_document(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, new_document

    settings = Settings.from_env()
    try:
        data_file, text_file = new_document(
            settings, args.stem, Path(args.source), title=args.title, title_en=args.title_en, doc_type=args.type,
            date=args.date, iri=args.iri, force=args.force,
        )  # fmt: skip
    except ScaffoldError as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    print(f"wrote {data_file} and {text_file}")
    print(f"next: complete the TODOs in {data_file.name}, then `regkg validate {data_file}`")
    return EXIT_OK


def cmd_dump(args: argparse.Namespace) -> int:
    from .store import write_dump

    settings = Settings.from_env(args.store)
    try:
        store = open_store(settings)
    except StoreMissing as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    data = store.canonical_nquads()
    if args.out:
        write_dump(data, Path(args.out))
        print(f"wrote {args.out} ({len(store)} quads, {len(store.graphs())} named graphs)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from .backend import restore

    settings = Settings.from_env(args.store)
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    try:
        info = restore(settings, data, origin=args.file)
    except (ValueError, FileExistsError) as exc:
        _err(f"restore refused, the store was not changed: {exc}")
        return EXIT_BAD_INPUT
    print(f"restored {settings.store.location} ({info['quads']} quads, digest {info['digest'][:16]})")
    return EXIT_OK


def cmd_mcp(args: argparse.Namespace) -> int:
    from .mcp_server import main as serve_mcp

    # Nothing may be printed to standard output: it carries the MCP messages.
    serve_mcp(Settings.from_env(args.store, query_timeout=args.timeout, max_rows=args.max_rows))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .service.app import create_app

    settings = Settings.from_env(
        args.store, host=args.host, port=args.port, base_url=args.base_url, query_timeout=args.timeout,
        max_rows=args.max_rows, workers=args.workers, in_memory=args.in_memory or None,
        in_process_ms=args.in_process_ms,
    )  # fmt: skip
    if not store_exists(settings):
        from .builder import ValidationFailed, build

        print(f"no store at {settings.store.location}: building it first", file=sys.stderr)
        try:
            build(settings)
        except ValidationFailed as exc:
            print(exc.report.text(), file=sys.stderr)
            _err("cannot serve: the data has problems")
            return EXIT_INVALID
    print(f"regkg: serving {settings.store.location} on {settings.public_base} (SPARQL at /sparql)", file=sys.stderr)
    logging.getLogger("regkg").setLevel(args.log_level.upper())  # the access log is INFO: off from "warning"
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level=args.log_level,
        access_log=False, server_header=False,  # the JSON access log (regkg.access) replaces uvicorn's
    )  # fmt: skip
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="regkg", description="Knowledge graph of French drug-access regulations.")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="validate everything, then (re)build the store atomically")
    b.add_argument("--store", help="store: path, oxigraph:PATH or sparql:URL (default $REGKG_STORE or var/store)")
    b.add_argument("--no-reasoner", action="store_true", help="skip the OWL consistency check (HermiT)")
    b.add_argument(
        "--full", action="store_true", help="check every document and rewrite the whole store (no incremental build)"
    )
    b.set_defaults(func=cmd_build)

    v = sub.add_parser(
        "validate", help="validate data files (SHACL, quotes, privacy, OWL consistency) without building"
    )
    v.add_argument("files", nargs="+", help="Turtle files; each replaces the project file of the same name")
    v.add_argument("--no-reasoner", action="store_true", help="skip the OWL consistency check (HermiT)")
    v.set_defaults(func=cmd_validate)

    q = sub.add_parser("query", help="run a SPARQL query on the store (default graph = union of all graphs)")
    q.add_argument("query", help="query text, a .rq file, or - for standard input")
    q.add_argument(
        "--format",
        choices=sorted({*RESULT_FORMATS, *GRAPH_FORMATS}),
        help="json|xml|csv|tsv for SELECT/ASK (default json); turtle|ntriples|nquads|jsonld|rdfxml for graphs",
    )
    q.add_argument("--store", help="store path")
    q.set_defaults(func=cmd_query)

    e = sub.add_parser("export", help="the whole dataset with its named graphs, to standard output")
    e.add_argument("--format", choices=list(EXPORT_FORMATS), default="nquads")
    e.add_argument("--store", help="store path")
    e.set_defaults(func=cmd_export)
    fa = sub.add_parser("facts", help="cited facts as French and English sentences, for chatbots")
    fa.add_argument("--q", help="keep facts containing all these words (case- and accent-insensitive)")
    fa.add_argument("--medicine", help="only facts about this medicine (name, brand, INN or IRI)")
    fa.add_argument("--limit", type=int, default=50, help="at most this many facts (default 50)")
    fa.add_argument("--format", choices=["json", "jsonld", "text"], default="json")
    fa.add_argument("--lang", choices=["fr", "en"], default="fr", help="language of --format text (default fr)")
    fa.add_argument("--store", help="store path")
    fa.set_defaults(func=cmd_facts)

    se = sub.add_parser("search", help="case- and accent-insensitive search over names, abbreviations and quotes")
    se.add_argument("query", help="what to look for, e.g. PPGL, méningiome, MSAH2426787N")
    se.add_argument("--type", action="append", help="keep resources of this class (rk:MedicinalProduct…); repeatable")
    se.add_argument("--limit", type=int, default=20, help="at most this many hits (default 20)")
    se.add_argument("--format", choices=["json", "jsonld", "text"], default="json")
    se.add_argument("--lang", choices=["fr", "en"], default="fr", help="language of --format text (default fr)")
    se.add_argument("--store", help="store path")
    se.set_defaults(func=cmd_search)

    a = sub.add_parser("ask", help="run a saved query from queries/ with typed parameters")
    a.add_argument("name", nargs="?", help="saved query name (file name without .rq); omit to list them")
    a.add_argument("--param", "-p", action="append", default=[], metavar="KEY=VALUE", help="a parameter value")
    a.add_argument("--format", choices=sorted(RESULT_FORMATS), default="json")
    a.add_argument("--limit", type=int, help="at most this many rows (default: all)")
    a.add_argument("--offset", type=int, default=0, help="skip this many rows first, in the query's order")
    a.add_argument("--list", action="store_true", help="list the saved queries and their parameters")
    a.add_argument("--store", help="store path")
    a.set_defaults(func=cmd_ask)

    ap = sub.add_parser("applicability", help="which access frameworks apply to a medicine on a date (JSON)")
    ap.add_argument("--medicine", required=True, help="name, INN or IRI (case- and accent-insensitive)")
    ap.add_argument("--date", required=True, help="the day to decide for, YYYY-MM-DD")
    ap.add_argument("--treatment-start", help="the day the treatment was initiated, YYYY-MM-DD")
    ap.add_argument("--indication", help="indication IRI, label or abbreviation (e.g. PPGL, méningiome)")
    ap.add_argument(
        "--fact",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="board=yes|no, imaging:MODALITY=true|false, prior:TREATMENT=OUTCOME, CONDITION=yes|no (repeatable)",
    )
    ap.add_argument("--store", help="store path")
    ap.set_defaults(func=cmd_applicability)

    nd = sub.add_parser("new-document", help="scaffold data/documents/STEM.ttl from a verbatim source text")
    nd.add_argument("--stem", required=True, help="file stem, e.g. ansm-2023-01-12-cpc-x (issuer-yyyy-mm-dd-slug)")
    nd.add_argument("--source", required=True, help="the verbatim text; copied to data/sources/STEM.txt")
    nd.add_argument("--title", help="French title (default: the heading found in the text)")
    nd.add_argument("--title-en", help="English title (default: a TODO)")
    nd.add_argument("--type", choices=["decision", "note"], default="decision", help="rk:Decision | rk:InformationNote")
    nd.add_argument("--date", help="date of the text, YYYY-MM-DD (default: the first date of its heading)")
    nd.add_argument("--iri", help="document IRI (default: eli/{issuer}/{type}/{yyyy}/{mm}/{dd}/{slug} from the stem)")
    nd.add_argument("--force", action="store_true", help="overwrite existing files")
    nd.set_defaults(func=cmd_new_document)

    du = sub.add_parser("dump", help="the whole dataset as canonical N-Quads with its named graphs (gzipped if .gz)")
    du.add_argument("--out", help="file to write atomically (.gz: gzipped); default: standard output")
    du.add_argument("--store", help="store path")
    du.set_defaults(func=cmd_dump)

    rs = sub.add_parser("restore", help="replace the store by a dump (N-Quads, plain or gzipped), atomically")
    rs.add_argument("file", help="a file written by `regkg dump`, or - for standard input")
    rs.add_argument("--store", help="store path")
    rs.set_defaults(func=cmd_restore)

    sy = sub.add_parser("synth", help="write a fictitious corpus (source texts and Turtle) into a buildable root")
    sy.add_argument(
        "--decisions", type=int, default=20, help="number of synthetic texts (default 20, ~400 triples each)"
    )
    sy.add_argument(
        "--seed", type=int, default=0, help="random seed; the same count and seed give byte-identical files"
    )
    sy.add_argument("--out", help="output root (default var/synth in the project); refused if it holds real texts")
    sy.add_argument("--allow-real", action="store_true", help="write beside real documents already in --out")
    sy.set_defaults(func=cmd_synth)

    m = sub.add_parser("mcp", help="MCP server on standard input/output, for LLM hosts (read-only)")
    m.add_argument("--store", help="store path (default $REGKG_STORE or var/store)")
    m.add_argument("--timeout", type=float, help="per-query time limit in seconds (default $REGKG_QUERY_TIMEOUT or 10)")
    m.add_argument("--max-rows", type=int, help="most rows per SPARQL result (default $REGKG_MAX_ROWS or 10000)")
    m.set_defaults(func=cmd_mcp)

    s = sub.add_parser("serve", help="the HTTP service (builds the store first if missing)")
    s.add_argument("--host", help="interface to listen on (default $REGKG_HOST or 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (default $REGKG_PORT or 8000)")
    s.add_argument("--store", help="store path")
    s.add_argument("--base-url", help="public base URL (default http://HOST:PORT); IRIs dereference under it")
    s.add_argument("--timeout", type=float, help="per-query time limit in seconds (default 10)")
    s.add_argument("--max-rows", type=int, help="rows per result before truncation (default 10000)")
    s.add_argument("--workers", type=int, help="query worker processes (default $REGKG_WORKERS or 2 per core)")
    s.add_argument(
        "--in-process-ms",
        type=float,
        help="a SPARQL query a worker answered within this many ms is afterwards answered in the service "
        "process, without the hop to a worker (default $REGKG_IN_PROCESS_MS or 5; 0: never)",
    )
    s.add_argument(
        "--in-memory",
        action="store_true",
        help="answer saved queries, applicability, facts and pages from an in-memory copy of the embedded "
        "store (several times faster; about 1 GB of RAM per million triples; default $REGKG_IN_MEMORY)",
    )
    s.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (FileNotFoundError, RemoteStoreError) as exc:  # no store; a remote store unreachable or failing
        _err(str(exc))
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
