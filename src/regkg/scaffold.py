"""``regkg new-document``: a first data file for a new regulatory text, from its verbatim source.

The scaffold describes what can be read off the text without interpretation: the document
(type, French title, date and number when the heading states them, source file), its provisions
in order (the heading before the first provision, the visas, "Article N", "I.", "II." sections,
the signature block), each with one example citation whose quote is an exact span of the text.
Everything that needs a curator's reading (who signed, the medicine, the measures, indications,
conditions, obligations, periods, the English titles) is left as ``# TODO`` comments with
templates, and is not invented.

So the scaffold validates except for what the curator must add: ``regkg validate`` on it reports
only "source document needs its signature(s)" (and "needs an English label" without
``--title-en``, "needs its date" when the text states none, "needs its number" for a note without
one); each message points at a ``# TODO`` in the file.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .ingest import STEM_RE
from .namespaces import ID
from .privacy import find_personal_contacts
from .quotes import normalize
from .settings import Settings

DOCUMENT_TYPES = {"decision": ("rk:Decision", "decision"), "note": ("rk:InformationNote", "note")}
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_ARTICLE = re.compile(r"^(?:Article|ARTICLE)\s+(\d+)\s*(?:er|ER|re)?\b\s*(?:[:.\-–—]\s*(.*))?$")
_SECTION = re.compile(r"^([IVX]{1,6})\s*[.\-–—)]\s*(\S.*)?$")
_VISA = re.compile(r"^Vu[\s,]")
_SIGNATURE = re.compile(r"^(?:Fait[\s,]|Pour l[ae]s? (?:ministres?|directeur|directrice)\b)")
_NUMERIC_DATE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")
_WORDED_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
_NUMBER = re.compile(r"N°\s*([A-Z0-9][A-Z0-9/\-]*[A-Z0-9])")
_TITLE = re.compile(r"^(DÉCISION|DECISION|NOTE|ARRÊTÉ|ARRETE|INSTRUCTION|CIRCULAIRE)\b", re.IGNORECASE)
_MARKUP = re.compile(r"^[#>*\-\s]+|[*_]{2,}|<[^>]+>")
_MARKUP_INLINE = re.compile(r"(?:^|\s)#+\s|[*_]{2,}|<[^>]+>")
MAX_QUOTE = 240


class ScaffoldError(ValueError):
    """The scaffold cannot be written (bad stem, missing source, existing files)."""


@dataclass
class Provision:
    """A provision found in the text: its IRI suffix, class, number, labels and text."""

    key: str  # art_1, sec_II, visa, header, signatures
    kind: str  # rk:Article, rk:Section, rk:Visa, rk:SignatureBlock
    number: str
    label_fr: str
    label_en: str
    heading: str = ""
    lines: list[str] = field(default_factory=list)  # raw lines (markup included) after the heading


def _clean(line: str) -> str:
    """A line without Markdown/HTML markup, for recognising headings."""
    return " ".join(_MARKUP.sub(" ", line).split())


def split_provisions(text: str) -> list[Provision]:
    """The text cut into provisions at visas, "Article N", roman-numbered sections and the
    signature block; the text before them is the header."""
    provisions = [Provision("header", "rk:Section", "header", "En-tête", "Header")]
    seen: set[str] = set()
    for raw in text.splitlines():
        line = _clean(raw)
        current = provisions[-1]
        if not line:
            continue
        raw = raw.strip()
        article, section = _ARTICLE.match(line), _SECTION.match(line)
        if article and f"art_{article.group(1)}" not in seen:
            n = article.group(1)
            provisions.append(Provision(f"art_{n}", "rk:Article", n, f"Article {n}", f"Article {n}", line))
        elif section and f"sec_{section.group(1)}" not in seen and current.key != "signatures":
            n = section.group(1)
            provisions.append(Provision(f"sec_{n}", "rk:Section", n, line, f"Section {n}", line))
        elif _VISA.match(line) and "visa" not in seen and current.key == "header":
            provisions.append(Provision("visa", "rk:Visa", "Vu", "Visas", "Legal basis (visa)", "", [raw]))
        elif _SIGNATURE.match(line) and "signatures" not in seen:
            provisions.append(
                Provision(
                    "signatures", "rk:SignatureBlock", "Fait", "Date et signature", "Date and signature", "", [line]
                )
            )
        else:
            current.lines.append(raw)
            continue
        seen.add(provisions[-1].key)
    return [p for p in provisions if p.key != "header" or p.lines]


def _in_text(quote: str, normalized_text: str) -> bool:
    return bool(quote) and quote in normalized_text and not find_personal_contacts(quote)


def _segments(lines: list[str]) -> list[str]:
    """The text of raw lines cut at Markdown/HTML markup: each segment is a span of the source
    after whitespace normalisation (a sentence wrapped over several lines stays whole)."""
    joined = normalize(" ".join(lines))
    return [seg for seg in (normalize(s) for s in _MARKUP_INLINE.split(joined)) if seg]


_SENTENCE_END = re.compile(r"^(.{20,}?(?:[;:]|(?<!\b[A-Z])(?<!\bart)\.))(?=\s+[A-ZÀ-Ý«\"(]|\s*$)")


def _first_sentence(segment: str) -> str:
    """The segment up to its first sentence end (not an abbreviation such as "L." or "art.")."""
    match = _SENTENCE_END.search(segment)
    sentence = match.group(1) if match else segment
    return sentence[:MAX_QUOTE].rsplit(" ", 1)[0] if len(sentence) > MAX_QUOTE else sentence


def example_quote(provision: Provision, normalized_text: str) -> str | None:
    """An exact span of the text for the provision's example citation: the first sentence (at
    most 240 characters, cut at a word) of the first long enough segment of its body, else a
    shorter segment, else its heading."""
    segments = _segments(provision.lines)
    candidates = [_first_sentence(seg) for seg in segments if len(seg) >= 20] + segments
    candidates.append(normalize(provision.heading))
    return next((c for c in candidates if _in_text(c, normalized_text)), None)


def title_quote(lines: list[str], normalized_text: str) -> tuple[str, str] | None:
    """(label, quote) for the text's heading ("DÉCISION DU …", "NOTE D'INFORMATION …"): the
    heading without markup as the label (at most 200 characters), its first segment as the quote."""
    for raw in lines:
        segments = _segments([raw])
        for n, segment in enumerate(segments):
            if _TITLE.match(segment) and _in_text(segment, normalized_text):
                return " ".join(segments[n:])[:200], segment
    return None


def find_date(lines: list[str]) -> tuple[str, str] | None:
    """(YYYY-MM-DD, the line stating it) for the first date written in the lines."""
    for line in lines:
        numeric = _NUMERIC_DATE.search(line)
        if numeric:
            day, month, year = numeric.groups()
            return f"{year}-{month}-{day}", line
        worded = _WORDED_DATE.search(line)
        if worded:
            day, month, year = worded.groups()
            return f"{year}-{MONTHS.index(month.lower()) + 1:02d}-{int(day):02d}", line
    return None


def document_iri(stem: str, doc_type: str, date: str | None) -> str:
    """``eli/{issuer}/{type}/{yyyy}/{mm}/{dd}/{slug}`` from a stem ``issuer-yyyy-mm-dd-slug``
    (data/MODELLING.md), else ``eli/{type}/{yyyy}/{mm}/{dd}/{stem}`` or ``eli/{type}/{stem}``."""
    segment = DOCUMENT_TYPES[doc_type][1]
    match = re.match(r"^(?P<issuer>[a-z]+(?:-[a-z]+)*)-(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})-(?P<slug>.+)$", stem)
    if match:
        return f"eli/{match['issuer']}/{segment}/{match['y']}/{match['m']}/{match['d']}/{match['slug']}"
    if date:
        return f"eli/{segment}/{date[:4]}/{date[5:7]}/{date[8:10]}/{stem}"
    return f"eli/{segment}/{stem}"


def _lit(text: str, lang: str | None = None) -> str:
    quoted = json.dumps(text, ensure_ascii=False)  # JSON string escapes are valid Turtle escapes
    return f"{quoted}@{lang}" if lang else quoted


def _citation(doc: str, provision: str, quote: str, indent: str = "    ") -> str:
    return (
        f"{indent}rk:citation [ a rk:Citation ;\n{indent}    oa:hasSource <{doc}> ;\n"
        f"{indent}    rk:provision <{doc}/{provision}> ;\n"
        f"{indent}    oa:hasSelector [ a oa:TextQuoteSelector ;\n{indent}        oa:exact {_lit(quote)} ] ]"
    )


HEADER = """@base    <https://w3id.org/regkg/id/> .
@prefix rk:      <https://w3id.org/regkg/ontology#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix eli:     <http://data.europa.eu/eli/ontology#> .
@prefix oa:      <http://www.w3.org/ns/oa#> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix time:    <http://www.w3.org/2006/time#> .
"""

TEMPLATES = """
# ============================================================================ TODO: the signature
# SHACL: "source document needs its signature(s) (rk:signature)". Add to the document
#     rk:signature <{doc}/signature/1> ;
# and describe who signed, as written in the signature block ({signatures}):
#
# <{doc}/signature/1> a rk:Signature ;
#     rdfs:label "Signature de … par …"@fr , "Signature of … by …"@en ;
#     rk:signer <person/first-last> ;
#     rk:signerRole "… as written …"@fr ;
#     rk:onBehalfOf <org/…> ;                      # an authority of data/reference/authorities.ttl
#     rk:citation [ a rk:Citation ; oa:hasSource <{doc}> ; rk:provision <{doc}/signatures> ;
#         oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "… the signer's name and role, verbatim …" ] ] .
#
# <person/first-last> a rk:Person ;
#     rdfs:label "First Last"@fr , "First Last"@en ;
#     rk:citation [ … the same quote … ] .

# ============================================================================ TODO: what the text decides
# Model, following data/MODELLING.md and the shipped documents, each with French and English labels
# and at least one rk:citation whose oa:exact is copied from data/sources/{stem}.txt:
#   - the medicine (rk:MedicinalProduct: rk:productName, rk:strength, rk:pharmaceuticalForm, rk:exploitedBy);
#   - each measure (rk:AccessMeasure: rk:framework <framework/…>, rk:concernsProduct, rk:validity,
#     rk:establishedBy <{doc}> or rk:reportedIn, rk:hasIndication, rk:hasObligation…);
#   - indications and their conditions (a CPC indication needs a board proposal and other conditions);
#   - validity periods and time points (rk:dateStatus rk:DateStated | rk:DateDerived | rk:DateUnknown:
#     never a guessed date), obligations, permissions.
# Then `regkg validate data/documents/{stem}.ttl` until it reports OK.
"""


def scaffold(
    stem: str,
    text: str,
    *,
    title: str | None = None,
    title_en: str | None = None,
    doc_type: str = "decision",
    date: str | None = None,
    iri: str | None = None,
) -> str:
    """The Turtle of a first data file for ``data/sources/<stem>.txt`` (see the module doc)."""
    if doc_type not in DOCUMENT_TYPES:
        raise ScaffoldError(f"unknown document type {doc_type!r}; use one of {', '.join(DOCUMENT_TYPES)}")
    normalized = normalize(text)
    provisions = split_provisions(text)
    header_lines = next((p.lines for p in provisions if p.key == "header"), [])
    heading = title_quote(header_lines + [line for p in provisions[:2] for line in p.lines[:3]], normalized)
    signatures = next((p for p in provisions if p.key == "signatures"), None)
    found_date = None if date else find_date(header_lines[:40] + (signatures.lines[:3] if signatures else []))
    date = date or (found_date[0] if found_date else None)
    number_match = next((m for m in map(_NUMBER.search, header_lines[:40]) if m), None)
    doc = iri or document_iri(stem, doc_type, date)
    doc = doc[len(str(ID)) :] if doc.startswith(str(ID)) else doc
    rdf_type = DOCUMENT_TYPES[doc_type][0]
    label_fr = title or (heading[0] if heading else None)
    first_key = provisions[0].key if provisions else "header"

    out = [
        HEADER,
        f"# {label_fr or stem}\n# Source: data/sources/{stem}.txt. Scaffolded by `regkg new-document`: complete every",
        "# TODO, then `regkg validate` this file (see data/MODELLING.md).\n",
        "# ============================================================================ the document\n",
        f"<{doc}> a {rdf_type} ;",
    ]
    labels = ([_lit(label_fr, "fr")] if label_fr else []) + ([_lit(title_en, "en")] if title_en else [])
    if labels:
        out.append(f"    rdfs:label {' , '.join(labels)} ;")
    if not label_fr:
        out.append(
            '    # TODO French label: rdfs:label "…"@fr (SHACL: "needs a French label"); no heading was recognised'
        )
    elif not title:
        out.append("    # TODO check the French label (taken from the heading) and add eli:title")
    if not title_en:
        out.append('    # TODO English label: rdfs:label "…"@en (SHACL: "needs an English label")')
    out.append(f"    rk:sourceFile {_lit(f'{stem}.txt')} ;")
    if date:
        said = f" from «{_clean(found_date[1])[:80]}»" if found_date else ""
        out.append(f'    eli:date_document "{date}"^^xsd:date ;  # TODO check the date{said}')
    else:
        out.append('    # TODO eli:date_document "YYYY-MM-DD"^^xsd:date ; (SHACL: "source document needs its date")')
    if doc_type == "note":
        if number_match:
            out.append(f"    eli:number {_lit(number_match.group(1))} ;  # TODO check the number")
        else:
            out.append('    # TODO eli:number "…" ; (SHACL: "information note needs its number")')
    out += [
        "    # TODO eli:passed_by / rk:emitter <org/…> (data/reference/authorities.ttl), eli:based_on / eli:cites",
        "    #      code articles <eli/code/csp/…> (data/reference/legal-codes.ttl), rk:concernsProduct <medicine/…>",
        f"    # TODO rk:signature <{doc}/signature/1> ; (see the signature template below)",
    ]
    if provisions:
        parts = " ,\n        ".join(f"<{doc}/{p.key}>" for p in provisions)
        out.append(f"    eli:has_part {parts} ;")
    quote = heading[1] if heading else example_quote(provisions[0], normalized) if provisions else None
    if quote:
        out.append(_citation(doc, first_key, quote) + " .")
    else:
        out[-1] = out[-1].rstrip(" ;") + " .  # TODO cite the document (rk:citation): no heading was recognised"
    out.append("\n# ============================================================================ provisions\n")
    for sequence, p in enumerate(provisions):
        lines = [
            f"<{doc}/{p.key}> a {p.kind} ;",
            f"    rdfs:label {_lit(p.label_fr, 'fr')} , {_lit(p.label_en, 'en')} ;",
        ]
        if p.kind == "rk:Section" and p.key != "header":
            lines.append("    # TODO translate the English label")
        lines += [
            f"    rk:provisionNumber {_lit(p.number)} ; rk:sequence {sequence} ;",
            f"    eli:is_part_of <{doc}> ;",
        ]
        example = example_quote(p, normalized)
        if example:
            lines.append("    # example citation: cite each fact with the words of this provision that state it")
            lines.append(_citation(doc, p.key, example) + " .")
        else:
            lines[-1] = lines[-1].rstrip(" ;") + " ."
        out.append("\n".join(lines) + "\n")
    if not provisions:
        out.append("# TODO no provision was recognised: add the articles or sections (rk:Article, rk:Section)\n")
    sig_words = f"«{signatures.lines[0][:60]}»…" if signatures and signatures.lines else "the end of the text"
    out.append(TEMPLATES.format(doc=doc, stem=stem, signatures=sig_words))
    return "\n".join(out)


def new_document(
    settings: Settings,
    stem: str,
    source: Path,
    *,
    title: str | None = None,
    title_en: str | None = None,
    doc_type: str = "decision",
    date: str | None = None,
    iri: str | None = None,
    force: bool = False,
) -> tuple[Path, Path]:
    """Write ``data/documents/<stem>.ttl`` (the scaffold) and copy the source text verbatim to
    ``data/sources/<stem>.txt``; returns both paths. Existing files are kept unless ``force``."""
    if not STEM_RE.match(stem):
        raise ScaffoldError(
            f"invalid stem {stem!r}: lower-case letters, digits and hyphens, e.g. ansm-2023-01-12-cpc-x"
        )
    if date and not re.match(r"^\d{4}-\d{2}-\d{2}$", date):
        raise ScaffoldError(f"--date must be YYYY-MM-DD, got {date!r}")
    if not source.is_file():
        raise ScaffoldError(f"no such source file: {source}")
    data_file = settings.documents_dir / f"{stem}.ttl"
    text_file = settings.sources_dir / f"{stem}.txt"
    existing = [str(p) for p in (data_file, text_file) if p.exists() and p.resolve() != source.resolve()]
    if data_file.exists() and not force:
        raise ScaffoldError(f"{data_file} exists; use --force to overwrite it")
    if existing and not force and text_file.exists() and text_file.read_bytes() != source.read_bytes():
        raise ScaffoldError(f"{text_file} exists with another text; use --force to overwrite it")
    text = source.read_text(encoding="utf-8")
    turtle = scaffold(stem, text, title=title, title_en=title_en, doc_type=doc_type, date=date, iri=iri)
    settings.documents_dir.mkdir(parents=True, exist_ok=True)
    settings.sources_dir.mkdir(parents=True, exist_ok=True)
    if text_file.resolve() != source.resolve():
        shutil.copyfile(source, text_file)
    data_file.write_text(turtle, encoding="utf-8")
    return data_file, text_file
