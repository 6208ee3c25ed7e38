"""Ingesting a document: validation, an atomic store swap, the history of versions, an audit log.

A curator (over ``PUT /api/documents/{stem}``) sends a document's Turtle and its verbatim source
text. It is validated like ``regkg build`` validates the project (parse, privacy, quotes, SHACL
and, unless ``REGKG_INGEST_REASONER=false``, OWL consistency) together with the project's files
and the documents ingested before; then a new store is built and swapped in. The ingest
directory (:attr:`Settings.ingest_dir`, ``ingested/`` beside the store by default) holds::

    documents/<stem>.ttl                the current version of each ingested document
    sources/<stem>.txt                  its verbatim source text
    history/<stem>/versions.json        every version: number, digests, when ingested and replaced, by whom
    history/<stem>/<n>.ttl, <n>.txt     each previous version, as it was
    audit.log                           one JSON line per write attempt (never the token: its fingerprint)
    .pending/<transaction>/             a write under way: the files it will write, then its manifest

``regkg build`` includes the ingested documents, so a rebuild keeps them. In the store, each
ingested document is the named graph ``…/graph/<stem>`` like a project document; the graph
``…/graph/revisions`` says, in PROV, which version it is, when it was generated, and which
version it revises (``prov:wasRevisionOf <…/graph/<stem>/v<n>>``). Previous versions are kept as
files and served by ``GET /api/documents/{stem}/versions/{n}``, not loaded as named graphs: the
default graph is the union of all graphs, where two versions of the same facts would mix.

**Crash safety.** The store link is the only commit point. A write, under the store lock:

1. stages every file it will write in ``.pending/<tx>/files/``, then ``manifest.json``;
2. validates, and builds the new store in a new directory whose ``build.json`` records ``tx``
   (as a build does: from the previous store, re-checking what the change reaches, when
   :func:`regkg.incremental.plan` allows; see :func:`regkg.builder.check_and_write`);
3. swaps the store link (:func:`regkg.store.commit`): the commit;
4. moves the staged files into place, appends the audit line, removes ``.pending/<tx>``.

:func:`recover` (run under the lock by every ingest and build, and when the service starts)
finishes step 4 for the transaction the current store records (each move is idempotent) and
deletes any other pending transaction, which the store never saw. Whatever the moment of a
kill -9, the store and the files are then both old or both new.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .canonical import dataset_info, graph_digest, lines_by_graph
from .datafiles import DataFile, project_files
from .loading import Prepared, prepare_all
from .namespaces import GRAPH, OWL, PROV, RDF, XSD, document_graph
from .report import Problem, Report
from .settings import Settings
from .store import read_build_info, store_lock

log = logging.getLogger("regkg.ingest")
STEM_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_STEM_LENGTH = 120
REVISIONS_GRAPH = str(GRAPH["revisions"])
DCTERMS_IS_VERSION_OF = "http://purl.org/dc/terms/isVersionOf"


class IngestError(Exception):
    """A write was refused; nothing was changed. ``status`` is the HTTP status to answer."""

    def __init__(
        self, status: int, message: str, problems: list[Problem] | None = None, checks: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []
        self.checks = checks or []

    def report_text(self) -> str:
        """The problems as ``regkg validate`` prints them."""
        return Report(list(self.problems), list(self.checks)).text() if self.problems else self.message


@dataclass
class IngestResult:
    """What a write did."""

    stem: str
    action: str  # created | replaced | unchanged | deleted
    version: int
    graph: str
    digest_before: str | None  # SHA-256 of the document's Turtle before and after
    digest_after: str | None
    store_digest_before: str | None
    store_digest_after: str | None
    quads: int | None
    transaction: str | None
    build_dir: Path | None
    revision_of: str | None  # the graph IRI of the version this one revises

    def to_json(self) -> dict[str, Any]:
        return {
            "stem": self.stem,
            "action": self.action,
            "version": self.version,
            "graph": self.graph,
            "revision_of": self.revision_of,
            "digest_before": self.digest_before,
            "digest_after": self.digest_after,
            "store_digest_before": self.store_digest_before,
            "store_digest_after": self.store_digest_after,
            "quads": self.quads,
            "transaction": self.transaction,
        }


# ---------------------------------------------------------------------------- names and files


def check_stem(stem: str) -> str:
    """A document stem: lower-case letters, digits and single hyphens (no dot, no slash), so
    that it can only name a file inside the ingest directory."""
    if not (0 < len(stem) <= MAX_STEM_LENGTH and STEM_RE.match(stem)):
        raise IngestError(
            400,
            f"invalid document stem {stem[:80]!r}: use lower-case letters, digits and "
            f"hyphens, e.g. ansm-2023-02-14-cpc-x (at most {MAX_STEM_LENGTH} characters)",
        )
    return stem


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def token_fingerprint(token: str) -> str:
    """What the audit log records of a bearer token: a short hash, never the token."""
    return "sha256:" + sha256(token.encode("utf-8"))[:12]


def utc_now() -> str:
    """The current time as an xsd:dateTime in UTC, to the millisecond, in canonical form (no
    trailing zero in the fraction), as the store writes it back: dumps then restore identically."""
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00")
    return stamp.rstrip("0").removesuffix(".") + "Z" if "." in stamp else stamp + "Z"


def version_graph(stem: str, version: int) -> str:
    """The IRI naming a previous version of a document graph (``…/graph/<stem>/v<n>``)."""
    return f"{document_graph(stem)}/v{version}"


@dataclass(frozen=True)
class IngestPaths:
    """Where things are in the ingest directory."""

    root: Path

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def history(self) -> Path:
        return self.root / "history"

    @property
    def audit_log(self) -> Path:
        return self.root / "audit.log"

    @property
    def pending(self) -> Path:
        return self.root / ".pending"

    def document(self, stem: str) -> Path:
        return self.documents / f"{stem}.ttl"

    def source(self, stem: str) -> Path:
        return self.sources / f"{stem}.txt"

    def versions(self, stem: str) -> Path:
        return self.history / stem / "versions.json"

    def previous(self, stem: str, version: int, suffix: str) -> Path:
        return self.history / stem / f"{version}{suffix}"

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.root))


def ingested_stems(paths: IngestPaths) -> list[str]:
    """Stems of the documents currently ingested."""
    if not paths.documents.is_dir():
        return []
    return sorted(p.stem for p in paths.documents.glob("*.ttl") if STEM_RE.match(p.stem))


def load_versions(paths: IngestPaths, stem: str) -> list[dict[str, Any]]:
    """The recorded versions of a document, oldest first (empty if it was never ingested)."""
    try:
        data = json.loads(paths.versions(stem).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return sorted(data.get("versions", []), key=lambda v: int(v["version"]))


def all_versions(paths: IngestPaths) -> dict[str, list[dict[str, Any]]]:
    """Versions of every document that has a history."""
    if not paths.history.is_dir():
        return {}
    return {
        d.name: load_versions(paths, d.name) for d in sorted(paths.history.iterdir()) if (d / "versions.json").is_file()
    }


def _project_stems(settings: Settings) -> set[str]:
    return {f.path.stem for f in project_files(settings) if f.kind == "document"}


# ---------------------------------------------------------------------------- the data seen by a build


@dataclass
class DataView:
    """The files a build or an ingest validates: the project's, plus the ingested documents
    (with staged changes), and settings whose ``sources_dir`` sees every source text."""

    settings: Settings
    files: list[DataFile]
    problems: list[Problem] = field(default_factory=list)  # stems both in data/documents and ingested
    versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    current: set[str] = field(default_factory=set)  # ingested stems with a current document
    shown_as: dict[Path, Path] = field(default_factory=dict)  # staged file -> where it will live


@contextmanager
def data_view(
    settings: Settings,
    staged: dict[str, tuple[Path, Path]] | None = None,
    removed: tuple[str, ...] = (),
    versions: dict[str, list[dict[str, Any]]] | None = None,
) -> Iterator[DataView]:
    """Project files plus ingested documents; ``staged`` maps a stem to a new (Turtle, source)
    pair replacing or adding one, ``removed`` drops stems, ``versions`` overrides histories.
    Without ingested documents, this is exactly the project (plain builds are unchanged)."""
    paths = IngestPaths(settings.ingest_dir)
    files = project_files(settings)
    docs = {stem: (paths.document(stem), paths.source(stem)) for stem in ingested_stems(paths)}
    docs.update(staged or {})
    for stem in removed:
        docs.pop(stem, None)
    history = {**all_versions(paths), **(versions or {})}
    if not docs and not history:
        yield DataView(settings, files)
        return
    project_stems = {f.path.stem for f in files if f.kind == "document"}
    problems = [
        Problem(
            DataFile(paths.document(stem), "", "document").display(settings.root),
            "ingest",
            message=f"document {stem!r} is both in data/documents/ and ingested; remove one of them "
            f"(DELETE /api/documents/{stem}, or move the ingested file into data/)",
        )
        for stem in sorted(project_stems & docs.keys())
    ]
    files += [
        DataFile(ttl, document_graph(stem), "document")
        for stem, (ttl, _) in sorted(docs.items())
        if stem not in project_stems
    ]
    shown_as = {ttl: paths.document(stem) for stem, (ttl, _) in (staged or {}).items()}
    with tempfile.TemporaryDirectory(prefix="regkg-sources-") as tmp:
        view = Path(tmp) / "sources"  # named like data/sources/, as reports show it
        view.mkdir()
        if settings.sources_dir.is_dir():
            for text in settings.sources_dir.iterdir():
                if text.is_file():
                    (view / text.name).symlink_to(text.resolve())
        for stem, (_, text) in docs.items():
            if text.is_file():
                link = view / f"{stem}.txt"
                link.unlink(missing_ok=True)
                link.symlink_to(text.resolve())
        yield DataView(replace(settings, sources_path=view), files, problems, history, set(docs), shown_as)


def _nq_iri(iri: str) -> str:
    return f"<{iri}>"


def _nq_literal(value: str, datatype: str | None = None) -> str:
    text = json.dumps(value, ensure_ascii=False)  # quotes and escapes like N-Quads for these values
    return text if datatype is None else f"{text}^^<{datatype}>"


def revision_lines(versions: dict[str, list[dict[str, Any]]], current: set[str]) -> list[str]:
    """The PROV description of ingested documents' versions, as N-Quads of the revisions graph.

    The current graph ``…/graph/<stem>`` and each previous version ``…/graph/<stem>/v<n>`` are
    ``prov:Entity``s with ``owl:versionInfo``, ``prov:generatedAtTime``, (previous versions)
    ``prov:invalidatedAtTime`` and ``dcterms:isVersionOf`` the document graph, and
    ``prov:wasRevisionOf`` the version before. Derived from versions.json only, so a rebuild
    of the same files gives the same quads."""
    lines: list[str] = []
    graph = _nq_iri(REVISIONS_GRAPH)

    def add(s: str, p: str, o: str) -> None:
        lines.append(f"{_nq_iri(s)} {_nq_iri(p)} {o} {graph} .\n")

    for stem, entries in sorted(versions.items()):
        if not entries:
            continue
        last = int(entries[-1]["version"])
        for entry in entries:
            n = int(entry["version"])
            is_current = n == last and stem in current
            node = document_graph(stem) if is_current else version_graph(stem, n)
            add(node, str(RDF.type), _nq_iri(str(PROV.Entity)))
            add(node, str(OWL.versionInfo), _nq_literal(str(n)))
            if entry.get("generated_at"):
                add(node, str(PROV.generatedAtTime), _nq_literal(entry["generated_at"], str(XSD.dateTime)))
            if not is_current:
                add(node, DCTERMS_IS_VERSION_OF, _nq_iri(document_graph(stem)))
                if entry.get("invalidated_at"):
                    add(node, str(PROV.invalidatedAtTime), _nq_literal(entry["invalidated_at"], str(XSD.dateTime)))
            if n > 1 and any(int(e["version"]) == n - 1 for e in entries):
                add(node, str(PROV.wasRevisionOf), _nq_iri(version_graph(stem, n - 1)))
    return lines


def dataset(view: DataView, loaded: list[Prepared], report: Report) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The store's N-Quads grouped by graph in canonical order (:mod:`regkg.canonical`) and its
    build.json, for validated files (see builder.build)."""
    from .builder import dataset_groups  # the builder imports this module lazily too

    groups = dataset_groups(loaded)
    if view.versions:
        for graph, extra in lines_by_graph(revision_lines(view.versions, view.current)).items():
            groups[graph] = sorted(set(groups.get(graph, [])) | set(extra))
        groups = {graph: groups[graph] for graph in sorted(groups)}
    root = view.settings.root
    info: dict[str, Any] = {
        **dataset_info(groups),
        "graph_digests": {graph: graph_digest(group) for graph, group in groups.items()},
        "inputs": {
            DataFile(view.shown_as.get(f.path, f.path), f.graph, f.kind).display(root): sha256(f.path.read_bytes())
            for f in view.files
        },
        "checks": report.checks,
    }
    if view.versions:
        info["ingested"] = {
            stem: {k: entries[-1].get(k) for k in ("version", "digest", "source_digest", "generated_at")}
            for stem, entries in sorted(view.versions.items())
            if entries and stem in view.current
        }
    return groups, info


def expected_digest(settings: Settings) -> str:
    """The digest a build of the current files would record (parse only, no validation): equal
    to the store's when the store and the ingest directory agree."""
    from .validation import cache_dir

    with data_view(settings) as view:
        loaded = prepare_all(view.files, view.settings.root, cache_dir(view.settings))
        problems = [p for item in loaded for p in item.problems if p.kind == "parse"]
        if problems:
            raise ValueError(Report(problems, ["parse"]).text())
        return dataset(view, loaded, Report())[1]["digest"]


# ---------------------------------------------------------------------------- audit log


def append_audit(settings: Settings, record: dict[str, Any]) -> None:
    """Append one JSON line to the audit log (one write, then fsync; a line cut by a crash is
    closed before the next one)."""
    paths = IngestPaths(settings.ingest_dir)
    paths.root.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"time": utc_now(), **record}, ensure_ascii=False, sort_keys=True) + "\n"
    fd = os.open(paths.audit_log, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = "\n" + line
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_audit(settings: Settings) -> list[dict[str, Any]]:
    """The audit log's entries (unreadable lines skipped)."""
    path = IngestPaths(settings.ingest_dir).audit_log
    entries = []
    with suppress(FileNotFoundError), open(path, encoding="utf-8") as handle:
        for line in handle:
            with suppress(ValueError):
                entries.append(json.loads(line))
    return entries


# ---------------------------------------------------------------------------- transactions


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _stage(paths: IngestPaths, tx: str, writes: dict[str, bytes], removes: list[str], audit: dict[str, Any]) -> Path:
    """Write a transaction's files under .pending/<tx>/files/, then its manifest (last, by
    rename: a transaction without a manifest was never complete and is always rolled back)."""
    txdir = paths.pending / tx
    for rel, data in writes.items():
        _write_file(txdir / "files" / rel, data)
    manifest = {"transaction": tx, "moves": sorted(writes), "removes": sorted(removes), "audit": audit}
    _write_file(txdir / "manifest.tmp", json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    os.replace(txdir / "manifest.tmp", txdir / "manifest.json")
    _fsync_dir(txdir)
    return txdir


def _read_manifest(txdir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((txdir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _apply(settings: Settings, txdir: Path, manifest: dict[str, Any], *, recovered: bool = False) -> None:
    """Roll a committed transaction forward: move its files into place (each move is skipped
    when already done), remove what it removes, log it once, drop .pending/<tx>."""
    paths = IngestPaths(settings.ingest_dir)
    touched: set[Path] = set()
    for rel in manifest["moves"]:
        src, dst = txdir / "files" / rel, paths.root / rel
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            touched.add(dst.parent)
    for rel in manifest["removes"]:
        target = paths.root / rel
        target.unlink(missing_ok=True)
        touched.add(target.parent)
    for directory in touched:
        _fsync_dir(directory)
    tx = manifest["transaction"]
    # A recovery may follow a crash between the audit line and the removal of .pending/<tx>.
    done = recovered and any(
        e.get("transaction") == tx and e.get("result") != "interrupted" for e in read_audit(settings)
    )
    if not done:
        append_audit(settings, {**manifest["audit"], **({"recovered": True} if recovered else {})})
    shutil.rmtree(txdir, ignore_errors=True)


def _settle(settings: Settings, txdir: Path, *, recovered: bool) -> str:
    """Finish a pending transaction the current store has committed, or undo one it has not."""
    manifest = _read_manifest(txdir)
    committed = (read_build_info(settings.store_path) or {}).get("transaction")
    if manifest is not None and manifest.get("transaction") == txdir.name == committed:
        _apply(settings, txdir, manifest, recovered=recovered)
        return "rolled forward"
    shutil.rmtree(txdir, ignore_errors=True)
    if manifest is not None and recovered:
        append_audit(
            settings,
            {
                **manifest["audit"],
                "result": "interrupted",
                "status": None,
                "note": "the writer stopped before the store was swapped; nothing changed",
            },
        )
    return "rolled back"


def recover(settings: Settings) -> dict[str, str]:
    """Finish or undo writes interrupted by a crash (call with the store lock held); returns
    {transaction: "rolled forward" | "rolled back"}."""
    pending = IngestPaths(settings.ingest_dir).pending
    if not pending.is_dir():
        return {}
    return {txdir.name: _settle(settings, txdir, recovered=True) for txdir in sorted(pending.iterdir())}


def recover_if_idle(settings: Settings) -> dict[str, str]:
    """:func:`recover` unless another writer holds the store lock (it recovers itself)."""
    if not IngestPaths(settings.ingest_dir).pending.is_dir():
        return {}
    try:
        with store_lock(settings.store_path, blocking=False):
            return recover(settings)
    except BlockingIOError:
        return {}


# ---------------------------------------------------------------------------- ingest and delete


def _source_file_problems(stem: str, staged: Path, loaded: list[Prepared], shown: str) -> list[Problem]:
    """The submitted file must describe its document with ``rk:sourceFile "<stem>.txt"``."""
    from .terms import compact_iri

    for item in loaded:
        if item.file.path != staged:
            continue
        if not item.source_files:
            return [
                Problem(
                    shown,
                    "ingest",
                    message=f'no document with rk:sourceFile "{stem}.txt": describe the '
                    f"text (a rk:Decision or rk:InformationNote) and its source file",
                )
            ]
        return [
            Problem(
                shown,
                "ingest",
                compact_iri(s),
                "rk:sourceFile",
                f'rk:sourceFile must be "{stem}.txt" (the source text sent with the document), not "{name}"',
            )
            for s, name in sorted(set(item.source_files))
            if name != f"{stem}.txt"
        ]
    return []


def _shown(problems: list[Problem], view: DataView, settings: Settings) -> list[Problem]:
    """Problems named after project-relative files, or ``ingested/…`` files for staged and
    ingested ones (the file a staged one will become): no server path in an HTTP answer."""
    root, ingest_dir = settings.root, settings.ingest_dir
    names = {DataFile(s, "", "").display(root): d for s, d in view.shown_as.items()}

    def shown(file: str) -> str:
        path = names.get(file, Path(file))
        if path.is_absolute() and path.is_relative_to(ingest_dir):
            return str(Path(ingest_dir.name) / path.relative_to(ingest_dir))
        return str(path)

    return [replace(p, file=shown(p.file)) for p in problems]


@dataclass
class _Change:
    """One write: the files it stages, what it removes, the new history, its audit record."""

    stem: str
    writes: dict[str, bytes]
    removes: list[str]
    versions: list[dict[str, Any]]
    audit: dict[str, Any]
    new_document: bool  # a Turtle file is staged for the stem (else the stem is removed)


def _commit(settings: Settings, change: _Change, reasoner: bool) -> tuple[Path, dict[str, Any]]:
    """Stage, validate, build and swap, then apply. On a refusal or an error before the swap,
    the staged files are removed and the store is untouched."""
    paths = IngestPaths(settings.ingest_dir)
    tx = change.audit["transaction"]
    stem = change.stem
    txdir = _stage(paths, tx, change.writes, change.removes, change.audit)
    staged_ttl = txdir / "files" / paths.rel(paths.document(stem))
    staged = {stem: (staged_ttl, txdir / "files" / paths.rel(paths.source(stem)))} if change.new_document else {}
    from .builder import ValidationFailed, check_and_write, checked_files
    from .consistency import ReasonerUnavailable
    from .incremental import plan

    def source_file(prepared: list[Prepared]) -> list[Problem]:  # the sent file describes its text
        if not change.new_document:
            return []
        return _source_file_problems(stem, staged_ttl, prepared, f"{paths.root.name}/{paths.rel(paths.document(stem))}")

    try:
        removed = () if change.new_document else (stem,)
        with data_view(settings, staged, removed, {stem: change.versions}) as view:
            try:
                report, prepared, shapes, groups, info = checked_files(view, reasoner=reasoner, more=source_file)
            except ValidationFailed as exc:
                raise _refusal(exc.report, view, settings, change.new_document) from None
            info["transaction"] = tx
            manifest = _read_manifest(txdir) or {}
            manifest["audit"] = {**change.audit, "store_digest_after": info["digest"]}
            _write_file(txdir / "manifest.tmp", json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
            os.replace(txdir / "manifest.tmp", txdir / "manifest.json")  # committed only once the store says tx
            try:  # only what the change reaches is checked again, when the previous build allows
                build_dir = check_and_write(settings, view.settings, plan(settings, info), prepared, shapes, groups,
                                            info, report, reasoner=reasoner, keep_previous=True)  # fmt: skip
            except ValidationFailed as exc:
                raise _refusal(exc.report, view, settings, change.new_document) from None
            except ReasonerUnavailable as exc:
                raise IngestError(503, f"{exc}; or set REGKG_INGEST_REASONER=false to ingest without it") from exc
            assert build_dir is not None  # an embedded store (ingest is refused on a remote one)
    except BaseException:
        _settle(settings, txdir, recovered=False)  # rolls forward only if the swap happened
        raise
    try:
        _apply(settings, txdir, manifest)
    except OSError as exc:  # committed: the next ingest, build or service start finishes it
        log.warning("regkg: ingest %s committed, files not all in place yet (%s); recovery will finish it", tx, exc)
    return build_dir, info


def _refusal(report: Report, view: DataView, settings: Settings, new_document: bool) -> IngestError:
    problems = _shown(report.problems, view, settings)
    what = "document" if new_document else "deletion"
    return IngestError(
        422,
        f"the {what} was refused: {len(problems)} problem(s) ({', '.join(report.checks)}); the store was not changed",
        problems,
        report.checks,
    )


def _new_transaction() -> str:
    return f"{time.time_ns()}-{os.getpid()}-{secrets.token_hex(4)}"


def _audited(settings: Settings, base: dict[str, Any], work: Any) -> IngestResult:
    """Run a write; log refusals and no-ops (committed writes are logged by :func:`_apply`)."""
    try:
        result: IngestResult = work()
    except IngestError as exc:
        append_audit(
            settings,
            {
                **base,
                "result": "rejected",
                "status": exc.status,
                "detail": exc.message[:500],
                "problems": len(exc.problems),
            },
        )
        raise
    if result.action == "unchanged":
        append_audit(
            settings,
            {
                **base,
                "result": "unchanged",
                "status": 200,
                "version": result.version,
                "digest_before": result.digest_before,
                "digest_after": result.digest_after,
            },
        )
    return result


def ingest_document(
    settings: Settings,
    stem: str,
    turtle: str,
    source_text: str | None = None,
    *,
    actor: dict[str, Any] | None = None,
    reasoner: bool | None = None,
) -> IngestResult:
    """Validate a document (Turtle) with its source text and make it the current version of
    ``…/graph/<stem>``, atomically; the previous version, if any, is kept in the history.

    ``source_text`` is required for a new document; when replacing one, None keeps its source.
    ``actor`` (token fingerprint, request id, client) goes to the audit log. Raises
    :class:`IngestError` (400 bad stem, 409 project document, 422 invalid, 503 no reasoner)."""
    base = {"action": "put", "stem": stem[:MAX_STEM_LENGTH], **(actor or {})}
    use_reasoner = settings.ingest_reasoner if reasoner is None else reasoner
    return _audited(settings, base, lambda: _put(settings, stem, turtle, source_text, base, use_reasoner))


def delete_document(
    settings: Settings, stem: str, *, actor: dict[str, Any] | None = None, reasoner: bool | None = None
) -> IngestResult:
    """Remove an ingested document from the store (validating what remains), atomically; its
    versions stay in the history. Raises :class:`IngestError` (400, 404, 409, 422)."""
    base = {"action": "delete", "stem": stem[:MAX_STEM_LENGTH], **(actor or {})}
    use_reasoner = settings.ingest_reasoner if reasoner is None else reasoner
    return _audited(settings, base, lambda: _delete(settings, stem, base, use_reasoner))


def _refuse_project_stem(settings: Settings, stem: str) -> None:
    check_stem(stem)
    if stem in _project_stems(settings):
        raise IngestError(
            409,
            f"{stem!r} is a project document (data/documents/{stem}.ttl): edit it in the "
            "repository, `regkg validate` it and run `regkg build`",
        )


def _put(
    settings: Settings, stem: str, turtle: str, source_text: str | None, base: dict[str, Any], reasoner: bool
) -> IngestResult:
    _refuse_project_stem(settings, stem)
    paths = IngestPaths(settings.ingest_dir)
    graph = document_graph(stem)
    new = turtle.encode("utf-8")
    with store_lock(settings.store_path):
        recover(settings)
        before = read_build_info(settings.store_path) or {}
        current = paths.document(stem).read_bytes() if paths.document(stem).is_file() else None
        current_source = paths.source(stem).read_bytes() if paths.source(stem).is_file() else None
        if source_text is None and current is None:
            raise IngestError(
                422,
                "source_text is required for a new document: the verbatim text its quotes "
                "are checked against; the store was not changed",
                [
                    Problem(
                        f"{paths.root.name}/{paths.rel(paths.source(stem))}",
                        "ingest",
                        message="no source text: send source_text with the Turtle",
                    )
                ],
                ["ingest"],
            )
        source = source_text.encode("utf-8") if source_text is not None else current_source or b""
        versions = load_versions(paths, stem)
        last = int(versions[-1]["version"]) if versions else 0
        if current is not None and current == new and current_source == source:
            return IngestResult(
                stem,
                "unchanged",
                last,
                graph,
                sha256(current),
                sha256(new),
                before.get("digest"),
                before.get("digest"),
                before.get("quads"),
                None,
                None,
                version_graph(stem, last - 1) if last > 1 else None,
            )
        now, version, tx = utc_now(), last + 1, _new_transaction()
        entries = [dict(v) for v in versions]
        if entries and entries[-1].get("invalidated_at") is None:
            entries[-1]["invalidated_at"] = now
        who: dict[str, Any] = {k: base[k] for k in ("token", "request_id") if k in base}
        entries.append(
            {
                "version": version,
                "digest": sha256(new),
                "source_digest": sha256(source),
                "generated_at": now,
                "invalidated_at": None,
                **who,
            }
        )
        writes = {
            paths.rel(paths.document(stem)): new,
            paths.rel(paths.source(stem)): source,
            paths.rel(paths.versions(stem)): json.dumps({"stem": stem, "versions": entries}, indent=1).encode(),
        }
        if current is not None and last:
            writes[paths.rel(paths.previous(stem, last, ".ttl"))] = current
            writes[paths.rel(paths.previous(stem, last, ".txt"))] = current_source or b""
        action = "replaced" if current is not None else "created"
        audit = {
            **base,
            "result": action,
            "status": 201 if action == "created" else 200,
            "transaction": tx,
            "version": version,
            "digest_before": sha256(current) if current is not None else None,
            "digest_after": sha256(new),
            "store_digest_before": before.get("digest"),
        }
        build_dir, info = _commit(settings, _Change(stem, writes, [], entries, audit, True), reasoner)
    return IngestResult(
        stem,
        action,
        version,
        graph,
        audit["digest_before"],
        audit["digest_after"],
        before.get("digest"),
        info["digest"],
        info["quads"],
        tx,
        build_dir,
        version_graph(stem, last) if last else None,
    )


def _delete(settings: Settings, stem: str, base: dict[str, Any], reasoner: bool) -> IngestResult:
    _refuse_project_stem(settings, stem)
    paths = IngestPaths(settings.ingest_dir)
    with store_lock(settings.store_path):
        recover(settings)
        if not paths.document(stem).is_file():
            raise IngestError(404, f"no ingested document {stem!r}")
        before = read_build_info(settings.store_path) or {}
        current = paths.document(stem).read_bytes()
        current_source = paths.source(stem).read_bytes() if paths.source(stem).is_file() else b""
        versions = [dict(v) for v in load_versions(paths, stem)]
        last = int(versions[-1]["version"]) if versions else 1
        now, tx = utc_now(), _new_transaction()
        if versions:
            versions[-1]["invalidated_at"] = now
        else:  # a document put in place by hand: record it as version 1
            versions = [
                {
                    "version": 1,
                    "digest": sha256(current),
                    "source_digest": sha256(current_source),
                    "generated_at": None,
                    "invalidated_at": now,
                }
            ]
        writes = {
            paths.rel(paths.previous(stem, last, ".ttl")): current,
            paths.rel(paths.previous(stem, last, ".txt")): current_source,
            paths.rel(paths.versions(stem)): json.dumps({"stem": stem, "versions": versions}, indent=1).encode(),
        }
        removes = [paths.rel(paths.document(stem)), paths.rel(paths.source(stem))]
        audit = {
            **base,
            "result": "deleted",
            "status": 200,
            "transaction": tx,
            "version": last,
            "digest_before": sha256(current),
            "digest_after": None,
            "store_digest_before": before.get("digest"),
        }
        build_dir, info = _commit(settings, _Change(stem, writes, removes, versions, audit, False), reasoner)
    return IngestResult(
        stem,
        "deleted",
        last,
        document_graph(stem),
        audit["digest_before"],
        None,
        before.get("digest"),
        info["digest"],
        info["quads"],
        tx,
        build_dir,
        None,
    )
