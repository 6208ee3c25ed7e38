"""Synthetic corpus: fictitious regulatory texts and their Turtle, in the project's own model.

:func:`synthesize` writes, under a project-like root, ``decisions`` fictitious texts, each as
``data/sources/<stem>.txt`` (French regulatory prose) and ``data/documents/<stem>.ttl`` (the
facts it states, modelled as ``data/MODELLING.md`` says), so that answers can be checked at
scale. The source text is written first; every ``oa:exact`` quote is then taken from the very
strings written into it (and checked against it before the file is written).

Texts come in *storylines*, one per invented medicine, interleaved round-robin:

- **CPC**: an ANSM decision establishing a compassionate prescription framework (Articles 1–5:
  indications with clinical, population, biomarker, regimen, imaging (``rk:AllOf`` /
  ``rk:AnyOf``), prior-treatment and board-proposal conditions; implementation,
  pharmacovigilance, reporting (deadline counted from the start, frequency, maximum delay),
  final analysis, publication and information obligations; a dissemination permission under
  prior opinion; a validity that is dated, or runs from the day after an unknown publication),
  then renewal decisions that update the previous one (``rk:updates``, ``rk:follows``), may add
  an indication and whose start is derived from, or relative to, the previous end;
- **early access**: a HAS decision granting a pre- or post-marketing-authorisation early access,
  then DGOS/DSS information notes on continuity of treatment (derived start, stated inclusive
  end, treatment started *before* a date under the early access) and on free supply by the
  company (derived period, permissions derogating from code articles, retrocession), each note
  updating the previous one;
- **AAC**: an ANSM compassionate access authorisation, possibly extended by a later decision
  restricted to patients already treated.

Everything minted lives under ``https://w3id.org/regkg/id/synth/`` and every file name starts
with ``synth-`` (``synthetic-`` for reference data), so nothing collides with real data.
Medicines are invented INN-like names (``-mab``, ``-nib``, ``-tide``, ``-siran``) with clearly
synthetic ATC-like codes (``Z..SY..``), companies, boards and people are invented, and every
text opens with :data:`FICTION_LINE`. Frameworks, authorities, code articles, outcomes,
activities and channels reuse the real reference IRIs.

Deterministic: the same ``(decisions, seed)`` gives byte-identical files (seeded
:class:`random.Random` per storyline, no timestamps, no set iteration), and a corpus of N texts
is the first N texts of any larger one with the same seed (the shared reference files aside).
Files are written as they are generated: memory does not grow with N beyond a set of names.
"""

from __future__ import annotations

import calendar
import random
import re
import shutil
import unicodedata
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .quotes import normalize

__all__ = ["FICTION_LINE", "SYNTH_PREFIX", "SynthError", "SynthSummary", "synthesize"]

FICTION_LINE = "DOCUMENT FICTIF – corpus synthétique regkg"
SYNTH_PREFIX = "synth-"  # data/documents/ and data/sources/ file names
REFERENCE_PREFIX = "synthetic-"  # data/reference/ file names
_ID = "synth/"  # every minted IRI, relative to https://w3id.org/regkg/id/

_TTL_HEADER = """@base    <https://w3id.org/regkg/id/> .
@prefix rk:      <https://w3id.org/regkg/ontology#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix eli:     <http://data.europa.eu/eli/ontology#> .
@prefix oa:      <http://www.w3.org/ns/oa#> .
@prefix dcat:    <http://www.w3.org/ns/dcat#> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix time:    <http://www.w3.org/2006/time#> .

"""


class SynthError(ValueError):
    """The synthetic corpus cannot be written where asked (bad count, or a root with real texts)."""


@dataclass(frozen=True)
class SynthSummary:
    """What :func:`synthesize` wrote."""

    root: Path
    seed: int
    documents: int  # synthetic texts (each a .ttl and a .txt)
    kinds: dict[str, int]  # texts per kind (cpc, cpc-renewal, aap, continuity-note, ...)
    files: int  # files written: documents, sources and synthetic reference files
    triples: int  # triples written (synthetic files only; the copied ontology and reference excluded)
    bytes: int  # bytes written (same files)
    reference_files: tuple[str, ...]  # the synthetic reference files, relative to the root
    copied: tuple[str, ...] = ()  # what was copied from the project (ontology/, data/reference/, queries/)


# ============================================================================ text and Turtle helpers

_MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_MONTHS_EN = tuple(calendar.month_name[m] for m in range(1, 13))
_NUMBERS_FR = {1: "un", 2: "deux", 3: "trois", 6: "six", 12: "douze"}


def _fr(day: date) -> str:
    """``1er mars 2023``, ``14 février 2023``."""
    return f"{'1er' if day.day == 1 else day.day} {_MONTHS_FR[day.month - 1]} {day.year}"


def _en(day: date) -> str:
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _num(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _add_months(day: date, months: int) -> date:
    """``day`` + ``months`` by the xsd:duration rule (day clamped to the month's end)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _last_day(start: date, months: int) -> date:
    """The last day (included) of a period of ``months`` months starting on ``start``."""
    return _add_months(start, months) - timedelta(days=1)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _i(path: str) -> str:
    """An IRI relative to the file's @base."""
    return f"<{path}>"


def _s(text: str, lang: str | None = None) -> str:
    """A Turtle string literal."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{body}"@{lang}' if lang else f'"{body}"'


def _d(day: date) -> str:
    return f'"{day.isoformat()}"^^xsd:date'


def _dur(text: str) -> str:
    return f'"{text}"^^xsd:duration'


def _labels(fr: str, en: str) -> list[str]:
    return [_s(fr, "fr"), _s(en, "en")]


Obj = str | list[str] | None
_OBJECT_SEPARATOR = " ,\n        "


class _Turtle:
    """The statements of one Turtle file, with a running triple count."""

    def __init__(self, comment: str) -> None:
        self.parts: list[str] = [f"# {comment}\n", _TTL_HEADER]
        self.triples = 0

    def section(self, title: str) -> None:
        self.parts.append(f"# ---------------------------------------------------------------- {title}\n\n")

    def node(self, subject: str, *pairs: tuple[str, Obj]) -> None:
        """``subject`` with each ``(predicate, object or objects)``; empty objects are skipped."""
        lines = []
        for predicate, obj in pairs:
            objects = [obj] if isinstance(obj, str) else obj
            if not objects:
                continue
            self.triples += len(objects)
            lines.append(f"{predicate} {_OBJECT_SEPARATOR.join(objects)}")
        if lines:
            self.parts.append(f"{subject} " + " ;\n    ".join(lines) + " .\n\n")

    def text(self) -> str:
        return "".join(self.parts)


# ============================================================================ catalogues (invented or generic)

_SYLLABLES = (
    "zor", "vel", "qui", "tra", "mol", "dex", "fen", "lor", "pax", "riv", "sen", "tal", "vor", "zan", "bel", "cor",
    "dri", "gal", "hex", "jor", "kel", "mar", "nov", "pel", "quo", "ros", "sul", "tex", "ulv", "vin", "xan", "yel",
    "zep", "bru", "cla", "fro", "gen", "lix", "mev", "nar", "obi", "pru", "sav", "tor", "ved", "wel", "xor", "zil",
)  # fmt: skip

# (stem family, INN endings, strengths and forms: (strength, form fr, form en))
_FAMILIES: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, str, str], ...]], ...] = (
    (
        "mab",
        ("tuzumab", "limab", "cimab", "tamab", "vemab"),
        (
            (
                "100 mg",
                "poudre pour solution à diluer pour perfusion",
                "powder for concentrate for solution for infusion",
            ),
            ("20 mg/mL", "solution à diluer pour perfusion", "concentrate for solution for infusion"),
            ("150 mg/mL", "solution injectable en seringue préremplie", "solution for injection in pre-filled syringe"),
        ),
    ),
    (
        "nib",
        ("tinib", "metinib", "rafenib", "zotinib"),
        (
            ("40 mg", "comprimé pelliculé", "film-coated tablet"),
            ("100 mg", "gélule", "hard capsule"),
            ("25 mg", "comprimé pelliculé", "film-coated tablet"),
        ),
    ),
    (
        "tide",
        ("glutide", "lotide", "patide"),
        (
            ("2 mg/mL", "solution injectable en stylo prérempli", "solution for injection in pre-filled pen"),
            ("10 mg", "poudre et solvant pour solution injectable", "powder and solvent for solution for injection"),
        ),
    ),
    (
        "siran",
        ("siran", "mesiran"),
        (("189 mg/mL", "solution injectable en seringue préremplie", "solution for injection in pre-filled syringe"),),
    ),
)

_COMPANY_SUFFIXES = ("Pharma", "Biothérapies", "Santé", "Therapeutics", "Biopharma")
_FIRST_NAMES = (
    ("Camille", True), ("Claire", True), ("Hélène", True), ("Sophie", True), ("Nathalie", True), ("Isabelle", True),
    ("Élise", True), ("Agnès", True), ("Louis", False), ("Thomas", False), ("Julien", False), ("Antoine", False),
    ("Pierre", False), ("Olivier", False), ("Marc", False), ("Étienne", False),
)  # fmt: skip
_REAL_NAMES = {"comete", "renaten", "omega", "fictineuro", "lutathera", "lumykras", "sotorasib", "amgen"}


@dataclass(frozen=True)
class _Disease:
    slug: str
    fr: str
    en: str
    alts: tuple[str, ...]
    feminine: bool = False


_DISEASES = (
    _Disease("hepatocellular-carcinoma", "Carcinome hépatocellulaire", "hepatocellular carcinoma", ("CHC", "HCC")),
    _Disease("cholangiocarcinoma", "Cholangiocarcinome", "cholangiocarcinoma", ("CCA",)),
    _Disease("pleural-mesothelioma", "Mésothéliome pleural", "pleural mesothelioma", ("MPM",)),
    _Disease("soft-tissue-sarcoma", "Sarcome des tissus mous", "soft-tissue sarcoma", ("STS",)),
    _Disease("gist", "Tumeur stromale gastro-intestinale", "gastrointestinal stromal tumour", ("GIST",), True),
    _Disease("thyroid-carcinoma", "Carcinome thyroïdien différencié", "differentiated thyroid carcinoma", ("CTD",)),
    _Disease("glioblastoma", "Glioblastome", "glioblastoma", ("GBM",)),
    _Disease("ependymoma", "Épendymome", "ependymoma", ()),
    _Disease("neuroblastoma", "Neuroblastome", "neuroblastoma", ()),
    _Disease("aml", "Leucémie aiguë myéloïde", "acute myeloid leukaemia", ("LAM", "AML"), True),
    _Disease("hodgkin-lymphoma", "Lymphome de Hodgkin", "Hodgkin lymphoma", ("LH",)),
    _Disease("multiple-myeloma", "Myélome multiple", "multiple myeloma", ("MM",)),
    _Disease("urothelial-carcinoma", "Carcinome urothélial", "urothelial carcinoma", ()),
    _Disease("ovarian-cancer", "Cancer de l'ovaire séreux de haut grade", "high-grade serous ovarian cancer", ()),
    _Disease("cervical-cancer", "Cancer du col de l'utérus", "cervical cancer", ()),
    _Disease("uveal-melanoma", "Mélanome uvéal", "uveal melanoma", ()),
    _Disease("merkel-carcinoma", "Carcinome à cellules de Merkel", "Merkel cell carcinoma", ()),
    _Disease("sclc", "Cancer bronchique à petites cellules", "small-cell lung cancer", ("CBPC", "SCLC")),
    _Disease("pancreatic-adenocarcinoma", "Adénocarcinome du pancréas", "pancreatic adenocarcinoma", ()),
    _Disease("desmoid-tumour", "Tumeur desmoïde", "desmoid tumour", (), True),
    _Disease("langerhans-histiocytosis", "Histiocytose langerhansienne", "Langerhans cell histiocytosis", (), True),
    _Disease("chordoma", "Chordome", "chordoma", ()),
    _Disease("nsclc", "Cancer bronchique non à petites cellules", "non-small-cell lung cancer", ("CBNPC", "NSCLC")),
    _Disease("colorectal-cancer", "Cancer colorectal", "colorectal cancer", ("CCR", "CRC")),
    _Disease(
        "triple-negative-breast-cancer", "Cancer du sein triple négatif", "triple-negative breast cancer", ("TNBC",)
    ),
)

# (masculine, feminine, English)
_STAGES = (
    ("localement avancé ou métastatique", "localement avancée ou métastatique", "locally advanced or metastatic"),
    ("non résécable", "non résécable", "unresectable"),
    ("en rechute ou réfractaire", "en rechute ou réfractaire", "relapsed or refractory"),
    ("progressif", "progressive", "progressive"),
    ("récidivant", "récidivante", "recurrent"),
    ("métastatique", "métastatique", "metastatic"),
)


@dataclass(frozen=True)
class _Term:
    """A condition phrase as written in the texts, with the condition's labels."""

    slug: str
    phrase: str
    fr: str
    en: str


_POPULATIONS = (
    _Term("adults", "de l'adulte", "Patients adultes", "Adult patients"),
    _Term(
        "children-6", "de l'enfant âgé de 6 ans et plus", "Enfants âgés de 6 ans et plus", "Children aged 6 and over"
    ),
    _Term(
        "adults-adolescents-12",
        "de l'adulte et de l'adolescent à partir de 12 ans",
        "Adultes et adolescents à partir de 12 ans",
        "Adults and adolescents aged 12 and over",
    ),
)
_BIOMARKERS = (
    _Term("braf-v600e", "présentant une mutation BRAF V600E", "Mutation BRAF V600E", "BRAF V600E mutation"),
    _Term("ntrk-fusion", "présentant une fusion du gène NTRK", "Fusion du gène NTRK", "NTRK gene fusion"),
    _Term(
        "her2-3plus", "avec une surexpression de HER2 (IHC 3+)", "Surexpression de HER2 (IHC 3+)", "HER2 overexpression"
    ),
    _Term("met-amplification", "présentant une amplification de MET", "Amplification de MET", "MET amplification"),
    _Term("idh1-mutation", "présentant une mutation IDH1", "Mutation IDH1", "IDH1 mutation"),
    _Term("fgfr2-fusion", "présentant un réarrangement de FGFR2", "Réarrangement de FGFR2", "FGFR2 rearrangement"),
    _Term("ret-fusion", "présentant une fusion RET", "Fusion RET", "RET fusion"),
    _Term("msi-high", "avec une instabilité microsatellitaire élevée (MSI-H)", "Statut MSI-H", "MSI-high status"),
    _Term("kras-g12d", "présentant une mutation KRAS G12D", "Mutation KRAS G12D", "KRAS G12D mutation"),
)
_REGIMENS = (
    _Term("monotherapy", "en monothérapie", "En monothérapie", "As monotherapy"),
    _Term(
        "with-platinum",
        "en association à une chimiothérapie à base de sels de platine",
        "En association à une chimiothérapie à base de sels de platine",
        "In combination with platinum-based chemotherapy",
    ),
    _Term(
        "with-endocrine",
        "en association à une hormonothérapie",
        "En association à une hormonothérapie",
        "In combination with endocrine therapy",
    ),
)


@dataclass(frozen=True)
class _Modality:
    iri: str
    phrase: str  # after "à": "la TEP au FDG", "l'IRM de perfusion"
    en: str
    synthetic: bool = False
    fr_label: str = ""


_MODALITIES = (
    _Modality("imaging/sstr-pet", "la TEP des récepteurs de la somatostatine", "somatostatin-receptor PET"),
    _Modality("imaging/fdg-pet", "la TEP au FDG", "FDG PET"),
    _Modality("imaging/fdopa-pet", "la TEP à la FDOPA", "FDOPA PET"),
    _Modality(_ID + "imaging/psma-pet", "la TEP au PSMA", "PSMA PET", True, "TEP au PSMA"),
    _Modality(_ID + "imaging/perfusion-mri", "l'IRM de perfusion", "perfusion MRI", True, "IRM de perfusion"),
    _Modality(_ID + "imaging/diffusion-mri", "l'IRM de diffusion", "diffusion-weighted MRI", True, "IRM de diffusion"),
    _Modality(
        _ID + "imaging/bone-scan", "la scintigraphie osseuse", "bone scintigraphy", True, "Scintigraphie osseuse"
    ),
    _Modality(_ID + "imaging/ct-scan", "la tomodensitométrie", "CT scan", True, "Tomodensitométrie"),
)


@dataclass(frozen=True)
class _Treatment:
    iri: str
    fr: str  # lower case, as written after "par"
    en: str
    broader: str | None = None
    synthetic: bool = True


_TREATMENTS = (
    _Treatment(
        _ID + "treatment/platinum-chemotherapy",
        "chimiothérapie à base de sels de platine",
        "platinum-based chemotherapy",
    ),
    _Treatment(
        _ID + "treatment/anti-pd1-immunotherapy",
        "immunothérapie par anticorps anti-PD-1 ou anti-PD-L1",
        "anti-PD-1 or anti-PD-L1 immunotherapy",
    ),
    _Treatment(_ID + "treatment/kinase-inhibitor", "inhibiteur de tyrosine kinase", "tyrosine kinase inhibitor"),
    _Treatment(_ID + "treatment/endocrine-therapy", "hormonothérapie", "endocrine therapy"),
    _Treatment(
        _ID + "treatment/anthracycline-chemotherapy",
        "chimiothérapie à base d'anthracyclines",
        "anthracycline-based chemotherapy",
    ),
    _Treatment(_ID + "treatment/systemic-corticosteroids", "corticothérapie systémique", "systemic corticosteroids"),
)
_LOCAL = _Treatment(
    _ID + "treatment/local-reference-treatment",
    "traitement local de référence (chirurgie, radiothérapie)",
    "reference local treatment (surgery, radiotherapy)",
)
_LOCAL_NARROWER = (
    _Treatment(_ID + "treatment/tumour-resection", "résection chirurgicale", "surgical resection", _LOCAL.iri),
    _Treatment(_ID + "treatment/external-radiotherapy", "radiothérapie externe", "external radiotherapy", _LOCAL.iri),
)
_SYSTEMIC_LINE = "treatment/systemic-line"  # real reference

_CRPVS = (
    ("org/crpv-poitiers", "Centre Régional de Pharmacovigilance (CRPV) de Poitiers", "CRPV de Poitiers", "Poitiers"),
    (_ID + "org/crpv-lyon", "Centre Régional de Pharmacovigilance (CRPV) de Lyon", "CRPV de Lyon", "Lyon"),
    (
        _ID + "org/crpv-bordeaux",
        "Centre Régional de Pharmacovigilance (CRPV) de Bordeaux",
        "CRPV de Bordeaux",
        "Bordeaux",
    ),
    (_ID + "org/crpv-nancy", "Centre Régional de Pharmacovigilance (CRPV) de Nancy", "CRPV de Nancy", "Nancy"),
    (_ID + "org/crpv-rennes", "Centre Régional de Pharmacovigilance (CRPV) de Rennes", "CRPV de Rennes", "Rennes"),
)

_CPC_BASIS = ("eli/code/csp/L5121-12-1/III", "eli/code/csp/L5121-14-3", "eli/code/csp/R5121-76-1")
_AAC_BASIS = ("eli/code/csp/L5121-12-1/II",)
_AAP_BASIS = ("eli/code/csp/L5121-12", "eli/code/css/L162-16-5-1")
_NOTE_CITES = ("eli/code/css/L162-16-5-1", "eli/code/css/L162-16-5-4")
_DEROGATIONS = ("eli/code/csp/L5123-2", "eli/code/csp/L5126-6/1")
_HAS_BO = _ID + "channel/has-bulletin"
_HAS_WEBSITE = _ID + "channel/has-website"


# ============================================================================ invented names and shared parties


@dataclass(frozen=True)
class _Party:
    """A company, board or person: IRI, label, and the words the texts use for it."""

    iri: str
    label: str
    text: str
    feminine: bool = False
    network: str | None = None


@dataclass
class _Medicine:
    slug: str
    name: str
    inn: str
    strength: str
    form_fr: str
    form_en: str
    atc: str | None
    company: _Party

    @property
    def iri(self) -> str:
        return f"{_ID}medicine/{self.slug}"

    @property
    def substance(self) -> str:
        return f"{_ID}substance/{self.slug}"

    @property
    def full(self) -> str:
        return f"{self.name} {self.strength}, {self.form_fr}"

    @property
    def paren(self) -> str:
        return f"({self.inn}, code ATC fictif : {self.atc})" if self.atc else f"({self.inn})"


class _Corpus:
    """State shared by the storylines: seed, invented names and parties, and which were used."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = random.Random(f"regkg-synth:{seed}:parties")
        self.names: set[str] = set(_REAL_NAMES)
        self.boards = [self._board(rng, n) for n in range(14)]
        self.networks = [self._name(rng, 2) for _ in range(4)]
        self.boards = [
            _Party(b.iri, b.label, b.text, network=f"{_ID}network/{_slug(self.networks[n % 5])}" if n % 5 < 4 else None)
            for n, b in enumerate(self.boards)
        ]
        self.companies = [self._company(rng) for _ in range(64)]
        roles = ("ansm", "has", "dgos", "dss")
        self.people = {role: [self._person(rng) for _ in range(3)] for role in roles}
        self.used_companies: set[str] = set()
        self.used_people: set[str] = set()

    def _name(self, rng: random.Random, syllables: int) -> str:
        while True:
            name = "".join(rng.choice(_SYLLABLES) for _ in range(syllables))
            if name not in self.names:
                self.names.add(name)
                return _cap(name)

    def _board(self, rng: random.Random, n: int) -> _Party:
        name = self._name(rng, 2)
        return _Party(f"{_ID}board/{_slug(name)}", f"RCP nationale {name} (fictive)", f"RCP nationale {name}")

    def _company(self, rng: random.Random) -> _Party:
        name = f"{self._name(rng, 2)} {rng.choice(_COMPANY_SUFFIXES)}"
        return _Party(f"{_ID}org/{_slug(name)}", name, name)

    def _person(self, rng: random.Random) -> _Party:
        first, feminine = rng.choice(_FIRST_NAMES)
        last = self._name(rng, 2)
        return _Party(
            f"{_ID}person/{_slug(first + ' ' + last)}", f"{first} {last}", f"{first} {last.upper()}", feminine
        )

    def medicine(self, rng: random.Random) -> _Medicine:
        _family, endings, presentations = rng.choice(_FAMILIES)
        while True:
            inn = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))) + rng.choice(endings)
            if inn not in self.names:
                self.names.add(inn)
                break
        strength, form_fr, form_en = rng.choice(presentations)
        atc = f"Z{rng.randint(1, 99):02d}SY{rng.randint(1, 99):02d}" if rng.random() < 0.5 else None
        return _Medicine(inn, _cap(inn), inn, strength, form_fr, form_en, atc, rng.choice(self.companies))


# ============================================================================ one document


@dataclass
class _Condition:
    iri: str
    cls: str
    fr: str
    en: str
    quote: str
    extra: list[tuple[str, Obj]] = field(default_factory=list)


@dataclass
class _Indication:
    iri: str
    seq: int
    sentence: str
    fr: str
    en: str
    alts: list[str]
    conditions: list[_Condition]
    disease: str


@dataclass
class _Period:
    """A validity period as later texts need it."""

    iri: str
    start: str
    end: str
    start_date: date | None
    end_date: date | None


@dataclass
class _Written:
    stem: str
    kind: str
    text: str
    turtle: str
    triples: int


class _Doc:
    """One synthetic text: its source (written first) and the Turtle built from its strings."""

    def __init__(self, corpus: _Corpus, number: int, kind: str, stem: str, iri: str, lines: list[str]) -> None:
        self.corpus, self.number, self.kind, self.stem, self.iri = corpus, number, kind, stem, iri
        self.text = "\n".join(lines) + "\n"
        self._normalized = normalize(self.text)
        self.ttl = _Turtle(
            f"{FICTION_LINE}: fictitious text generated by regkg synth (seed {corpus.seed}, text {number}). "
            f"Source: data/sources/{stem}.txt."
        )

    def p(self, name: str) -> str:
        """A provision of this document."""
        return f"{self.iri}/{name}"

    def cite(self, provision: str, quote: str, seq: int | None = None) -> str:
        """A citation of this document: the provision (name or IRI) and an exact span of the text."""
        if normalize(quote) not in self._normalized:
            raise AssertionError(f"synthetic quote is not in {self.stem}.txt: {quote!r}")
        prov = provision if "/" in provision else self.p(provision)
        self.ttl.triples += 6 + (seq is not None)
        sequence = f"rk:sequence {seq} ; " if seq is not None else ""
        return (
            f"[ a rk:Citation ; {sequence}oa:hasSource <{self.iri}> ; rk:provision <{prov}> ;\n"
            f"        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact {_s(quote)} ] ]"
        )

    def node(self, subject: str, *pairs: tuple[str, Obj]) -> None:
        self.ttl.node(_i(subject), *pairs)

    def cite_only(self, subject: str, provision: str, *quotes: str, extra: Sequence[tuple[str, Obj]] = ()) -> None:
        """Citations (and a few more facts) about a resource described elsewhere."""
        self.node(subject, *extra, ("rk:citation", [self.cite(provision, q) for q in quotes]))

    def written(self) -> _Written:
        return _Written(self.stem, self.kind, self.text, self.ttl.text(), self.ttl.triples)

    # ---------------------------------------------------------------- shared blocks

    def provisions(self, items: Sequence[tuple[str, str, str, str, str]]) -> list[str]:
        """Provisions (name, class, number, French label, English label) in logical order."""
        iris = []
        for seq, (name, cls, number, fr, en) in enumerate(items):
            self.node(
                self.p(name),
                ("a", cls),
                ("rdfs:label", _labels(fr, en)),
                ("rk:provisionNumber", _s(number)),
                ("rk:sequence", str(seq)),
                ("eli:is_part_of", _i(self.iri)),
            )
            iris.append(_i(self.p(name)))
        return iris

    def signature(self, n: int, person: _Party, role: str, on_behalf: list[str], provision: str, quote: str) -> str:
        iri = f"{self.iri}/signature/{n}"
        self.node(
            iri,
            ("a", "rk:Signature"),
            (
                "rdfs:label",
                _labels(f"Signature de {person.label} (fictive)", f"Signature by {person.label} (fictitious)"),
            ),
            ("rk:signer", _i(person.iri)),
            ("rk:signerRole", _s(role, "fr")),
            ("rk:onBehalfOf", [_i(a) for a in on_behalf]),
            ("rk:citation", self.cite(provision, quote)),
        )
        self.cite_only(person.iri, provision, person.text)
        self.corpus.used_people.add(person.iri)
        return _i(iri)

    def company(self, company: _Party, provision: str, quote: str) -> None:
        self.cite_only(company.iri, provision, quote)
        self.corpus.used_companies.add(company.iri)

    def medicine(self, med: _Medicine, provision: str, quote: str, substance_quote: str) -> None:
        """The medicine and its substance, fully described (first text of the storyline)."""
        self.node(
            med.iri,
            ("a", "rk:MedicinalProduct"),
            (
                "rdfs:label",
                _labels(f"{med.name} {med.strength}, {med.form_fr}", f"{med.name} {med.strength}, {med.form_en}"),
            ),
            ("rdfs:comment", _s("Fictitious medicine invented by regkg synth.", "en")),
            ("rk:productName", _s(med.name)),
            ("rk:strength", _s(med.strength)),
            ("rk:pharmaceuticalForm", _s(med.form_fr, "fr")),
            ("rk:hasActiveSubstance", _i(med.substance)),
            ("rk:exploitedBy", _i(med.company.iri)),
            ("rk:atcCode", _s(med.atc) if med.atc else None),
            ("rk:citation", self.cite(provision, quote)),
        )
        self.node(
            med.substance,
            ("a", "rk:ActiveSubstance"),
            ("rdfs:label", _labels(med.inn, med.inn)),
            ("rk:inn", _s(med.inn)),
            ("rk:citation", self.cite(provision, substance_quote)),
        )

    def indication(self, ind: _Indication, provision: str, quote: str) -> None:
        self.node(
            ind.iri,
            ("a", "rk:TherapeuticIndication"),
            ("rdfs:label", _labels(ind.fr, ind.en)),
            ("skos:altLabel", [_s(a) for a in ind.alts]),
            ("rk:sequence", str(ind.seq)),
            ("rk:hasCondition", [_i(c.iri) for c in ind.conditions]),
            ("rk:citation", self.cite(provision, quote)),
        )
        for cond in ind.conditions:
            self.condition(cond, provision)

    def condition(self, cond: _Condition, provision: str) -> None:
        self.node(
            cond.iri,
            ("a", cond.cls),
            ("rdfs:label", _labels(cond.fr, cond.en)),
            *cond.extra,
            ("rk:citation", self.cite(provision, cond.quote)),
        )

    def time_point(
        self,
        iri: str,
        fr: str,
        en: str,
        status: str,
        cites: list[str],
        *,
        day: date | None = None,
        relative_to: str | None = None,
        offset: str | None = None,
        not_before: date | None = None,
    ) -> None:
        self.node(
            iri,
            ("a", "rk:TimePoint"),
            ("rdfs:label", _labels(fr, en)),
            ("time:inXSDDate", _d(day) if day else None),
            ("rk:dateStatus", f"rk:{status}"),
            ("rk:relativeTo", _i(relative_to) if relative_to else None),
            ("rk:offset", _dur(offset) if offset else None),
            ("rk:notBefore", _d(not_before) if not_before else None),
            ("rk:citation", cites),
        )

    def period(
        self,
        iri: str,
        fr: str,
        en: str,
        cites: list[str],
        *,
        start: str,
        end: str,
        start_inclusive: bool = True,
        end_inclusive: bool = True,
        duration: str | None = None,
        renewable: bool | None = None,
    ) -> None:
        self.node(
            iri,
            ("a", "rk:ValidityPeriod"),
            ("rdfs:label", _labels(fr, en)),
            ("time:hasBeginning", _i(start)),
            ("time:hasEnd", _i(end)),
            ("time:hasXSDDuration", _dur(duration) if duration else None),
            ("rk:renewable", None if renewable is None else str(renewable).lower()),
            ("rk:startInclusive", str(start_inclusive).lower()),
            ("rk:endInclusive", str(end_inclusive).lower()),
            ("rk:citation", cites),
        )

    def obligation(
        self,
        iri: str,
        cls: str,
        fr: str,
        en: str,
        provision: str,
        quote: str,
        *facts: tuple[str, Obj],
    ) -> str:
        self.node(
            iri, ("a", cls), ("rdfs:label", _labels(fr, en)), *facts, ("rk:citation", self.cite(provision, quote))
        )
        return _i(iri)


# ============================================================================ building blocks of the texts


def _fiction(corpus: _Corpus, number: int) -> list[str]:
    return [
        FICTION_LINE,
        f"Texte généré automatiquement par regkg synth (graine {corpus.seed}, texte n° {number}) : il ne décrit "
        "aucun médicament, aucun laboratoire, aucune personne ni aucune décision réels.",
        "",
    ]


_FICTION_QUOTE = FICTION_LINE


def _make_indication(
    rng: random.Random, corpus: _Corpus, measure: str, seq: int, disease: _Disease, *, board: bool
) -> _Indication:
    """An indication sentence and its conditions, each quoting a fragment of the sentence."""
    masculine, feminine, stage_en = rng.choice(_STAGES)
    head = f"{disease.fr} {feminine if disease.feminine else masculine}"
    base = f"{measure}/indication/{disease.slug}"
    en = f"{_cap(stage_en)} {disease.en}"
    conditions = [_Condition(f"{base}/condition/clinical", "rk:ClinicalCondition", head, en, head)]
    parts = [head]
    if rng.random() < 0.7:
        pop = rng.choice(_POPULATIONS)
        parts[0] = f"{head} {pop.phrase}"
        conditions.append(
            _Condition(f"{base}/condition/{pop.slug}", "rk:PopulationCondition", pop.fr, pop.en, parts[0])
        )
    if rng.random() < 0.5:
        bio = rng.choice(_BIOMARKERS)
        parts.append(bio.phrase)
        conditions.append(
            _Condition(f"{base}/condition/{bio.slug}", "rk:BiomarkerCondition", bio.fr, bio.en, bio.phrase)
        )
    if rng.random() < 0.35:
        reg = rng.choice(_REGIMENS)
        parts.append(reg.phrase)
        conditions.append(
            _Condition(f"{base}/condition/{reg.slug}", "rk:TherapeuticRegimenCondition", reg.fr, reg.en, reg.phrase)
        )
    if rng.random() < 0.6:
        conditions.append(_imaging(rng, base))
        parts.append(conditions[-1].quote)
    if rng.random() < 0.8:
        conditions.append(_prior(rng, base))
        parts.append(conditions[-1].quote)
    if board:
        b = rng.choice(corpus.boards)
        phrase = f"sur proposition de la {b.text}"
        conditions.append(
            _Condition(
                f"{base}/condition/board-proposal",
                "rk:BoardProposalCondition",
                f"Proposition de la {b.text} (fictive)",
                f"Proposal by the {b.text.removeprefix('RCP nationale ')} national board (fictitious)",
                phrase,
                [("rk:board", _i(b.iri))],
            )
        )
        parts.append(phrase)
    alts = [*disease.alts, disease.fr.lower(), disease.en]
    return _Indication(base, seq, ", ".join(parts), head, en, alts, conditions, disease.slug)


def _imaging(rng: random.Random, base: str) -> _Condition:
    iri = f"{base}/condition/imaging"
    if rng.random() < 0.25:
        phrase = "exprimant les récepteurs de la somatostatine sur l'imagerie TEP des récepteurs de la somatostatine"
        return _Condition(
            iri,
            "rk:ImagingCondition",
            "Expression des récepteurs de la somatostatine en TEP des récepteurs de la somatostatine",
            "Expression of somatostatin receptors on somatostatin-receptor PET",
            phrase,
            [("rk:imagingModality", _i("imaging/sstr-pet")), ("rk:modalityCombination", "rk:AllOf")],
        )
    count = rng.choice((1, 2, 2))
    mods = rng.sample(_MODALITIES[1:], count)
    if count == 1:
        phrase = f"avec une fixation documentée à {mods[0].phrase}"
        fr, en, combination = f"Fixation documentée à {mods[0].phrase}", f"Uptake on {mods[0].en}", "rk:AllOf"
    elif rng.random() < 0.5:
        phrase = f"avec une anomalie documentée à {mods[0].phrase} et à {mods[1].phrase}"
        fr = f"Anomalie documentée à {mods[0].phrase} et à {mods[1].phrase}"
        en, combination = f"Abnormality on both {mods[0].en} and {mods[1].en}", "rk:AllOf"
    else:
        phrase = f"avec une anomalie documentée à {mods[0].phrase} et/ou à {mods[1].phrase}"
        fr = f"Anomalie documentée à {mods[0].phrase} et/ou à {mods[1].phrase}"
        en, combination = f"Abnormality on {mods[0].en} and/or {mods[1].en}", "rk:AnyOf"
    facts: list[tuple[str, Obj]] = [
        ("rk:imagingModality", [_i(m.iri) for m in mods]),
        ("rk:modalityCombination", combination),
    ]
    return _Condition(iri, "rk:ImagingCondition", fr, en, phrase, facts)


def _prior(rng: random.Random, base: str) -> _Condition:
    iri = f"{base}/condition/prior-treatment"
    style = rng.choice(("failure-contraindication", "failure-contraindication", "progression", "local", "failure"))
    if style == "progression":
        lines = rng.choice((1, 1, 2))
        words = "une ligne de traitement systémique antérieur" if lines == 1 else "deux lignes de traitement systémique"
        phrase = f"dont la maladie a progressé après au moins {words}"
        en = f"Progression after at least {lines} prior line{'s' if lines > 1 else ''} of systemic therapy"
        facts: list[tuple[str, Obj]] = [
            ("rk:priorTreatment", _i(_SYSTEMIC_LINE)),
            ("rk:acceptedOutcome", _i("outcome/progression")),
            ("rk:minimumPriorLines", str(lines)),
        ]
        return _Condition(iri, "rk:PriorTreatmentCondition", _cap(phrase), en, phrase, facts)
    if style == "local":
        phrase = f"après échec du {_LOCAL.fr} ou impossibilité de le mettre en œuvre"
        facts = [
            ("rk:priorTreatment", _i(_LOCAL.iri)),
            ("rk:acceptedOutcome", [_i("outcome/failure"), _i("outcome/impossible")]),
        ]
        en = f"Failure of the {_LOCAL.en}, or impossible to carry it out"
        return _Condition(iri, "rk:PriorTreatmentCondition", _cap(phrase.removeprefix("après ")), en, phrase, facts)
    treatment = rng.choice(_TREATMENTS)
    if style == "failure":
        phrase = f"après échec d'un traitement par {treatment.fr}"
        outcomes = [_i("outcome/failure")]
        en = f"Failure of {treatment.en}"
    else:
        phrase = f"après échec ou contre-indication d'un traitement par {treatment.fr}"
        outcomes = [_i("outcome/failure"), _i("outcome/contraindication")]
        en = f"Failure of, or contraindication to, {treatment.en}"
    facts = [("rk:priorTreatment", _i(treatment.iri)), ("rk:acceptedOutcome", outcomes)]
    return _Condition(iri, "rk:PriorTreatmentCondition", _cap(phrase.removeprefix("après ")), en, phrase, facts)


def _diseases(rng: random.Random, count: int, exclude: Sequence[str] = ()) -> list[_Disease]:
    return rng.sample([d for d in _DISEASES if d.slug not in exclude], count)


def _crpv(rng: random.Random) -> tuple[str, str, str]:
    iri, full, short, _city = rng.choice(_CRPVS)
    return iri, full, short


def _stem(number: int, issuer: str, day: date, kind: str, slug: str) -> str:
    return f"{SYNTH_PREFIX}{number:06d}-{issuer}-{day.isoformat()}-{kind}-{slug}"


def _decision_iri(issuer: str, day: date, slug: str) -> str:
    return f"{_ID}eli/{issuer}/decision/{day.year}/{day.month:02d}/{day.day:02d}/{slug}"


def _visa_line(articles: str) -> str:
    return f"Vu le code de la santé publique, notamment les articles {articles} ;"


def _ansm_opening(person: _Party) -> str:
    who = "La directrice générale" if person.feminine else "Le directeur général"
    return f"{who} de l'agence nationale de sécurité du médicament et des produits de santé,"


def _ansm_role(person: _Party) -> str:
    return f"{'Directrice générale' if person.feminine else 'Directeur général'} de l'ANSM (personnage fictif)"


# ============================================================================ storyline: CPC and its renewals


@dataclass
class _CpcState:
    measure: str
    doc: str
    day: date
    title: str
    period: _Period
    indications: list[_Indication]


def _cpc_story(corpus: _Corpus, rng: random.Random, number: Callable[[], int]) -> Iterator[_Written]:
    med = corpus.medicine(rng)
    first = date(2021, 9, 1) + timedelta(days=rng.randint(0, 6 * 365))
    state = None
    renewals = rng.choice((0, 0, 1, 1, 2))
    for r in range(renewals + 1):
        if state is None:
            state = yield from _cpc_decision(corpus, rng, number(), med, first)
        else:
            state = yield from _cpc_renewal(corpus, rng, number(), med, state, r)


def _cpc_decision(
    corpus: _Corpus, rng: random.Random, number: int, med: _Medicine, day: date
) -> Generator[_Written, None, _CpcState]:
    person = rng.choice(corpus.people["ansm"])
    crpv, crpv_full, crpv_short = _crpv(rng)
    doc_iri = _decision_iri("ansm", day, f"cpc-{med.slug}")
    measure = f"{_ID}measure/{med.slug}-cpc-{day.year}"
    indications = [
        _make_indication(rng, corpus, measure, n + 1, d, board=True)
        for n, d in enumerate(_diseases(rng, rng.randint(1, 4)))
    ]
    title = f"portant établissement d'un cadre de prescription compassionnelle de la spécialité {med.full}"
    company = med.company.text
    # ---- the text
    opening = _ansm_opening(person)
    visa = _visa_line("L. 5121-12-1 III, L. 5121-14-3 et R. 5121-76-1 et suivants")
    establish = f"Un cadre de prescription compassionnelle (CPC) est établi pour le médicament {med.full}"
    med_quote = f"{med.full} {med.paren}, exploité par le laboratoire {company}"
    item_lines = [f"{ind.seq}° {ind.sentence}{' ;' if ind.seq < len(indications) else '.'}" for ind in indications]
    implement = (
        f"Le laboratoire {company} exploitant la spécialité {med.name} est responsable de la mise en place et du "
        "suivi de ce CPC conformément au protocole d'utilisation thérapeutique figurant en annexe de la présente "
        "décision."
    )
    pv = f"Le suivi national de pharmacovigilance dans le cadre du présent CPC est assuré par le {crpv_full}."
    first_months, frequency = rng.choice(((6, "P1Y"), (6, "P6M"), (3, "P6M"), (3, "P1Y")))
    every = "tous les ans" if frequency == "P1Y" else "tous les six mois"
    report = (
        "Un rapport de synthèse portant sur les informations relatives à l'efficacité, à la sécurité et aux "
        f"conditions réelles d'utilisation de la spécialité {med.name} est transmis {_NUMBERS_FR[first_months]} mois "
        f"après la mise en œuvre de ce CPC puis {every} par le laboratoire à l'ANSM ainsi qu'au {crpv_short} par "
        "tout moyen conférant date certaine."
    )
    delay, delay_words = rng.choice((("P1M", "un mois"), ("P15D", "quinze jours")))
    delay_sentence = f"Le délai de transmission de chaque rapport par le laboratoire ne doit pas excéder {delay_words}."
    final = "Une analyse finale est transmise par le laboratoire dans un délai de 6 mois suivant la fin du CPC."
    published = "Le présent CPC est publié sur le site internet de l'ANSM."
    dissemination = (
        "Il peut également être diffusé sans caractère promotionnel par le laboratoire précité sur son site internet "
        "et auprès des professionnels de santé concernés"
    )
    prior_opinion = "les mesures prises pour cette diffusion sont soumises à l'avis préalable de l'ANSM."
    inform = (
        "Il appartient au laboratoire précité de prendre toute mesure d'information utile à l'attention des "
        "prescripteurs concernés afin que cette spécialité soit prescrite dans le respect du présent CPC."
    )
    variant = rng.choice(("dated", "dated", "publication", "until"))
    start = _add_months(day.replace(day=1), 1)
    end = _last_day(start, 36)
    if variant == "dated":
        validity = f"Le présent CPC est valable du {_fr(start)} au {_fr(end)} inclus."
    elif variant == "publication":
        validity = (
            "Le présent CPC est valable pour une durée de trois ans renouvelable à compter de sa date d'entrée en "
            "vigueur, à savoir le lendemain de sa publication sur le site internet de l'ANSM."
        )
    else:
        validity = (
            "Le présent CPC entre en vigueur le lendemain de sa publication sur le site internet de l'ANSM et "
            f"demeure valable jusqu'au {_fr(end)} inclus."
        )
    done = f"Fait, le {_num(day)}"
    lines = [
        *_fiction(corpus, number),
        "ANSM - Agence nationale de sécurité du médicament et des produits de santé",
        "",
        f"DECISION DU {_num(day)}",
        title,
        "",
        opening,
        "",
        visa,
        "",
        "Décide :",
        "",
        "Article 1er",
        f"{establish} {med.paren}, exploité par le laboratoire {company}, dans les indications suivantes :",
        *item_lines,
        "",
        "Article 2",
        implement,
        pv,
        "",
        "Article 3",
        report,
        delay_sentence,
        final,
        "",
        "Article 4",
        published,
        f"{dissemination} ; {prior_opinion}",
        inform,
        "",
        "Article 5",
        validity,
        "",
        done,
        "",
        person.text,
        _ansm_role(person),
    ]
    stem = _stem(number, "ansm", day, "cpc", med.slug)
    doc = _Doc(corpus, number, "cpc", stem, doc_iri, lines)
    # ---- the Turtle
    doc.ttl.section("the document")
    doc.node(
        doc_iri,
        ("a", "rk:Decision"),
        (
            "rdfs:label",
            _labels(
                f"Décision (fictive) de l'ANSM du {_num(day)} établissant un CPC pour {med.name}",
                f"Fictitious ANSM decision of {_en(day)} establishing a CPC for {med.name}",
            ),
        ),
        ("rdfs:comment", _s(f"Fictitious text generated by regkg synth (seed {corpus.seed}, text {number}).", "en")),
        ("eli:title", _s(title, "fr")),
        ("eli:date_document", _d(day)),
        ("rk:sourceFile", _s(f"{stem}.txt")),
        ("eli:passed_by", _i("org/ansm")),
        ("rk:emitter", _i("org/ansm")),
        ("eli:based_on", [_i(a) for a in _CPC_BASIS]),
        ("eli:cites", [_i(a) for a in _CPC_BASIS]),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:publicationChannel", _i("channel/ansm-website")),
        ("rk:annex", _i(doc.p("annex"))),
        ("rk:signature", _i(doc.p("signature/1"))),
        ("eli:has_part", [_i(doc.p(n)) for n in ("header", "visa", "art_1", "art_2", "art_3", "art_4", "art_5")]),
        ("eli:has_part", _i(doc.p("signatures"))),
        (
            "rk:citation",
            [
                doc.cite("header", _FICTION_QUOTE, 1),
                doc.cite("header", f"DECISION DU {_num(day)} {title}", 2),
                doc.cite("visa", visa, 3),
                doc.cite("signatures", done, 4),
            ],
        ),
    )
    doc.provisions(
        (
            ("header", "rk:Section", "header", "En-tête (texte fictif)", "Header (fictitious text)"),
            ("visa", "rk:Visa", "Vu", "Visas", "Legal basis (visa)"),
            (
                "art_1",
                "rk:Article",
                "1",
                "Article 1er : établissement du CPC et indications",
                "Article 1: CPC and indications",
            ),
            (
                "art_2",
                "rk:Article",
                "2",
                "Article 2 : mise en place et pharmacovigilance",
                "Article 2: set-up and pharmacovigilance",
            ),
            (
                "art_3",
                "rk:Article",
                "3",
                "Article 3 : rapports de synthèse et analyse finale",
                "Article 3: reports and final analysis",
            ),
            (
                "art_4",
                "rk:Article",
                "4",
                "Article 4 : publication, diffusion et information",
                "Article 4: publication, dissemination, information",
            ),
            ("art_5", "rk:Article", "5", "Article 5 : durée de validité", "Article 5: period of validity"),
            ("signatures", "rk:SignatureBlock", "Fait", "Date et signature", "Date and signature"),
        )
    )
    doc.node(doc.p("visa"), ("eli:cites", [_i(a) for a in _CPC_BASIS]))
    doc.node(
        doc.p("annex"),
        ("a", "rk:TherapeuticUseProtocol"),
        (
            "rdfs:label",
            _labels(
                f"PUT (fictif) annexé au CPC {med.name}", f"Therapeutic-use protocol (fictitious) of the {med.name} CPC"
            ),
        ),
        (
            "rk:citation",
            doc.cite(
                "art_2",
                "conformément au protocole d'utilisation thérapeutique figurant en annexe de la présente décision.",
            ),
        ),
    )
    doc.signature(1, person, _ansm_role(person), ["org/ansm"], "signatures", f"{person.text} {_ansm_role(person)}")
    doc.ttl.section("medicine and company")
    doc.medicine(med, "art_1", med_quote, med.paren)
    doc.company(med.company, "art_1", f"exploité par le laboratoire {company}")
    # ---- the measure
    doc.ttl.section("the CPC")
    ob = f"{measure}/obligation"
    obligations = [
        doc.obligation(
            f"{ob}/implementation",
            "rk:ImplementationObligation",
            f"Mise en place et suivi du CPC {med.name} par le laboratoire conformément au PUT",
            f"Set-up and follow-up of the {med.name} CPC by the company under the therapeutic-use protocol",
            "art_2",
            implement,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:legalBasis", _i(doc.p("annex"))),
        ),
        doc.obligation(
            f"{ob}/pharmacovigilance",
            "rk:PharmacovigilanceObligation",
            f"Suivi national de pharmacovigilance par le {crpv_short}",
            f"National pharmacovigilance follow-up by the {crpv_short}",
            "art_2",
            pv,
            ("rk:responsibleParty", _i(crpv)),
        ),
        doc.obligation(
            f"{ob}/periodic-report",
            "rk:ReportingObligation",
            f"Rapport de synthèse {_NUMBERS_FR[first_months]} mois après la mise en œuvre du CPC puis {every}",
            f"Synthesis report {first_months} months after the CPC starts, then every "
            f"{'year' if frequency == 'P1Y' else 'six months'}",
            "art_3",
            report,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:recipient", [_i("org/ansm"), _i(crpv)]),
            (
                "rk:deliverable",
                _s("Rapport de synthèse sur l'efficacité, la sécurité et les conditions réelles d'utilisation", "fr"),
            ),
            ("rk:deadline", _dur(f"P{first_months}M")),
            ("rk:deadlineFrom", _i(f"{measure}/period/start")),
            ("rk:frequency", _dur(frequency)),
            ("rk:meansOfTransmission", _s("par tout moyen conférant date certaine", "fr")),
        ),
        doc.obligation(
            f"{ob}/report-delay",
            "rk:ReportingObligation",
            f"Transmission de chaque rapport dans un délai de {delay_words} au plus",
            f"Each report transmitted within {'one month' if delay == 'P1M' else 'fifteen days'} at most",
            "art_3",
            delay_sentence,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:recipient", [_i("org/ansm"), _i(crpv)]),
            ("rk:deliverable", _s("Rapport de synthèse", "fr")),
            ("rk:maximumDelay", _dur(delay)),
        ),
        doc.obligation(
            f"{ob}/final-analysis",
            "rk:ReportingObligation",
            "Analyse finale dans les 6 mois suivant la fin du CPC",
            "Final analysis within 6 months after the CPC ends",
            "art_3",
            final,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:deliverable", _s("Analyse finale", "fr")),
            ("rk:deadline", _dur("P6M")),
            ("rk:deadlineFrom", _i(f"{measure}/period/end")),
        ),
        doc.obligation(
            f"{ob}/publication",
            "rk:PublicationObligation",
            "Publication du CPC sur le site internet de l'ANSM",
            "Publication of the CPC on the ANSM website",
            "art_4",
            published,
            ("rk:publicationChannel", _i("channel/ansm-website")),
        ),
        doc.obligation(
            f"{ob}/inform-prescribers",
            "rk:InformationObligation",
            "Information des prescripteurs concernés par le laboratoire",
            "The company informs the prescribers concerned",
            "art_4",
            inform,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:recipient", _i("actors/prescribers")),
        ),
    ]
    permission = f"{measure}/permission/dissemination"
    doc.node(
        measure,
        ("a", "rk:AccessMeasure"),
        (
            "rdfs:label",
            _labels(f"CPC (fictif) de {med.name} ({day.year})", f"Fictitious CPC for {med.name} ({day.year})"),
        ),
        ("rk:framework", _i("framework/cpc")),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:establishedBy", _i(doc_iri)),
        ("rk:decidedBy", _i("org/ansm")),
        ("rk:legalBasis", [_i(a) for a in _CPC_BASIS]),
        ("rk:responsibleParty", _i(med.company.iri)),
        ("rk:hasIndication", [_i(ind.iri) for ind in indications]),
        ("rk:hasObligation", obligations),
        ("rk:hasPermission", _i(permission)),
        ("rk:validity", _i(f"{measure}/period")),
        ("rk:citation", doc.cite("art_1", establish)),
    )
    prior = doc.obligation(
        f"{ob}/dissemination-prior-opinion",
        "rk:PriorOpinionObligation",
        "Mesures de diffusion soumises à l'avis préalable de l'ANSM",
        "Dissemination measures subject to ANSM's prior opinion",
        "art_4",
        prior_opinion,
        ("rk:responsibleParty", _i(med.company.iri)),
        ("rk:recipient", _i("org/ansm")),
    )
    doc.node(
        permission,
        ("a", "rk:Permission"),
        (
            "rdfs:label",
            _labels(
                "Diffusion non promotionnelle du CPC par le laboratoire",
                "Non-promotional dissemination of the CPC by the company",
            ),
        ),
        ("rk:grantedTo", _i(med.company.iri)),
        ("rk:permittedActivity", _i("activity/dissemination")),
        ("rk:establishedBy", _i(doc_iri)),
        ("rk:hasObligation", prior),
        ("rk:citation", doc.cite("art_4", dissemination)),
    )
    for ind, line in zip(indications, item_lines, strict=True):
        doc.indication(ind, "art_1", line)
    # ---- validity
    doc.ttl.section("validity")
    period = _cpc_validity(doc, measure, med, variant, day, start, end, validity, published, done)
    yield doc.written()
    return _CpcState(measure, doc_iri, day, title, period, indications)


def _cpc_validity(
    doc: _Doc,
    measure: str,
    med: _Medicine,
    variant: str,
    day: date,
    start: date,
    end: date,
    validity: str,
    published: str,
    done: str,
) -> _Period:
    period, p_start, p_end = f"{measure}/period", f"{measure}/period/start", f"{measure}/period/end"
    cite = doc.cite("art_5", validity)
    if variant == "dated":
        doc.period(
            period,
            f"Validité du CPC {med.name} : du {_fr(start)} au {_fr(end)} inclus",
            f"Validity of the {med.name} CPC: {_en(start)} to {_en(end)} inclusive",
            [cite],
            start=p_start,
            end=p_end,
        )
        doc.time_point(
            p_start,
            f"Début du CPC {med.name} : {_fr(start)}",
            f"Start of the {med.name} CPC: {_en(start)}",
            "DateStated",
            [doc.cite("art_5", f"valable du {_fr(start)}")],
            day=start,
        )
        doc.time_point(
            p_end,
            f"Fin du CPC {med.name} : {_fr(end)} inclus",
            f"End of the {med.name} CPC: {_en(end)} inclusive",
            "DateStated",
            [doc.cite("art_5", f"au {_fr(end)} inclus")],
            day=end,
        )
        return _Period(period, p_start, p_end, start, end)
    publication = f"{measure}/publication"
    doc.time_point(
        publication,
        f"Publication du CPC {med.name} sur le site internet de l'ANSM (date non indiquée)",
        f"Publication of the {med.name} CPC on the ANSM website (date not stated)",
        "DateUnknown",
        [doc.cite("art_4", published, 1), doc.cite("signatures", done, 2)],
        not_before=day,
    )
    starts = day + timedelta(days=1)
    entry = "le lendemain de sa publication sur le site internet de l'ANSM"
    doc.time_point(
        p_start,
        f"Entrée en vigueur du CPC {med.name} : le lendemain de sa publication (date inconnue)",
        f"Entry into force of the {med.name} CPC: the day after its publication (date unknown)",
        "DateUnknown",
        [doc.cite("art_5", entry)],
        relative_to=publication,
        offset="P1D",
        not_before=starts,
    )
    if variant == "publication":
        doc.period(
            period,
            f"Validité du CPC {med.name} : trois ans renouvelables à compter de l'entrée en vigueur",
            f"Validity of the {med.name} CPC: three years, renewable, from entry into force",
            [cite],
            start=p_start,
            end=p_end,
            end_inclusive=False,
            duration="P3Y",
            renewable=True,
        )
        doc.time_point(
            p_end,
            f"Fin de validité du CPC {med.name} : trois ans après l'entrée en vigueur (date inconnue)",
            f"End of validity of the {med.name} CPC: three years after entry into force (date unknown)",
            "DateUnknown",
            [doc.cite("art_5", "valable pour une durée de trois ans renouvelable")],
            relative_to=p_start,
            offset="P3Y",
            not_before=_add_months(starts, 36),
        )
        return _Period(period, p_start, p_end, None, None)
    doc.period(
        period,
        f"Validité du CPC {med.name} : de son entrée en vigueur au {_fr(end)} inclus",
        f"Validity of the {med.name} CPC: from entry into force to {_en(end)} inclusive",
        [cite],
        start=p_start,
        end=p_end,
    )
    doc.time_point(
        p_end,
        f"Fin du CPC {med.name} : {_fr(end)} inclus",
        f"End of the {med.name} CPC: {_en(end)} inclusive",
        "DateStated",
        [doc.cite("art_5", f"jusqu'au {_fr(end)} inclus")],
        day=end,
    )
    return _Period(period, p_start, p_end, None, end)


def _cpc_renewal(
    corpus: _Corpus, rng: random.Random, number: int, med: _Medicine, prev: _CpcState, r: int
) -> Generator[_Written, None, _CpcState]:
    person = rng.choice(corpus.people["ansm"])
    if prev.period.end_date is not None:
        day = prev.period.end_date - timedelta(days=rng.randint(20, 120))
    else:
        day = prev.day + timedelta(days=rng.randint(700, 1000))
    day = max(day, prev.day + timedelta(days=30))
    doc_iri = _decision_iri("ansm", day, f"cpc-{med.slug}-renewal-{r}")
    measure = f"{_ID}measure/{med.slug}-cpc-renewal-{r}"
    title = (
        f"portant renouvellement et modification du cadre de prescription compassionnelle de la spécialité {med.full}"
    )
    company = med.company.text
    known = [ind.disease for ind in prev.indications]
    added = (
        [_make_indication(rng, corpus, measure, len(known) + 1, _diseases(rng, 1, known)[0], board=True)]
        if rng.random() < 0.6
        else []
    )
    indications = [*prev.indications, *added]
    visa = _visa_line("L. 5121-12-1 III et R. 5121-76-1 et suivants")
    visa_prev = f"Vu la décision du {_num(prev.day)} {prev.title} ;"
    renew = (
        f"Le cadre de prescription compassionnelle (CPC) de la spécialité {med.full}, exploitée par le laboratoire "
        f"{company}, établi par la décision du {_num(prev.day)} susvisée, est renouvelé."
    )
    start: date | None = None
    end: date | None = None
    if prev.period.end_date is not None:
        start = prev.period.end_date + timedelta(days=1)
        end = _last_day(start, 36)
        from_words = (
            f"à compter du lendemain du {_fr(prev.period.end_date)}, date de fin de sa période de validité précédente"
        )
        validity = f"Le CPC est renouvelé {from_words}, et jusqu'au {_fr(end)} inclus."
    else:
        from_words = "à compter du lendemain de la fin de sa période de validité précédente"
        validity = f"Le CPC est renouvelé pour une durée de trois ans {from_words}."
    cover = (
        "Le CPC renouvelé couvre les indications mentionnées à l'article 1er de la décision du "
        f"{_num(prev.day)} susvisée"
    )
    cover_line = f"{cover} ainsi que l'indication suivante : {added[0].sentence}." if added else f"{cover}."
    frequency = rng.choice(("P6M", "P1Y"))
    every = "tous les six mois" if frequency == "P6M" else "tous les ans"
    report = (
        f"Pendant la durée du CPC renouvelé, un rapport de synthèse est transmis {every} par le laboratoire à "
        "l'ANSM, dans un délai d'un mois suivant la fin de chaque période de suivi."
    )
    unchanged = f"Les autres dispositions de la décision du {_num(prev.day)} susvisée demeurent applicables."
    published = "La présente décision est publiée sur le site internet de l'ANSM."
    done = f"Fait, le {_num(day)}"
    lines = [
        *_fiction(corpus, number),
        "ANSM - Agence nationale de sécurité du médicament et des produits de santé",
        "",
        f"DECISION DU {_num(day)}",
        title,
        "",
        _ansm_opening(person),
        "",
        visa,
        visa_prev,
        "",
        "Décide :",
        "",
        "Article 1er",
        renew,
        "",
        "Article 2",
        validity,
        "",
        "Article 3",
        cover_line,
        "",
        "Article 4",
        report,
        "",
        "Article 5",
        unchanged,
        published,
        "",
        done,
        "",
        person.text,
        _ansm_role(person),
    ]
    stem = _stem(number, "ansm", day, "cpc-renewal", f"{med.slug}-{r}")
    doc = _Doc(corpus, number, "cpc-renewal", stem, doc_iri, lines)
    doc.ttl.section("the document")
    doc.node(
        doc_iri,
        ("a", "rk:Decision"),
        (
            "rdfs:label",
            _labels(
                f"Décision (fictive) de l'ANSM du {_num(day)} renouvelant le CPC {med.name}",
                f"Fictitious ANSM decision of {_en(day)} renewing the {med.name} CPC",
            ),
        ),
        ("rdfs:comment", _s(f"Fictitious text generated by regkg synth (seed {corpus.seed}, text {number}).", "en")),
        ("eli:title", _s(title, "fr")),
        ("eli:date_document", _d(day)),
        ("rk:sourceFile", _s(f"{stem}.txt")),
        ("eli:passed_by", _i("org/ansm")),
        ("rk:emitter", _i("org/ansm")),
        ("eli:based_on", [_i(_CPC_BASIS[0]), _i(_CPC_BASIS[2])]),
        ("eli:cites", [_i(_CPC_BASIS[0]), _i(_CPC_BASIS[2]), _i(prev.doc)]),
        ("rk:updates", _i(prev.doc)),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:publicationChannel", _i("channel/ansm-website")),
        ("rk:signature", _i(doc.p("signature/1"))),
        ("eli:has_part", [_i(doc.p(n)) for n in ("header", "visa", "art_1", "art_2", "art_3", "art_4", "art_5")]),
        ("eli:has_part", _i(doc.p("signatures"))),
        (
            "rk:citation",
            [
                doc.cite("header", _FICTION_QUOTE, 1),
                doc.cite("header", f"DECISION DU {_num(day)} {title}", 2),
                doc.cite("visa", visa, 3),
                doc.cite("visa", visa_prev, 4),
                doc.cite("signatures", done, 5),
            ],
        ),
    )
    doc.provisions(
        (
            ("header", "rk:Section", "header", "En-tête (texte fictif)", "Header (fictitious text)"),
            ("visa", "rk:Visa", "Vu", "Visas", "Legal basis (visa)"),
            ("art_1", "rk:Article", "1", "Article 1er : renouvellement du CPC", "Article 1: renewal of the CPC"),
            ("art_2", "rk:Article", "2", "Article 2 : durée du renouvellement", "Article 2: period of the renewal"),
            ("art_3", "rk:Article", "3", "Article 3 : indications", "Article 3: indications"),
            ("art_4", "rk:Article", "4", "Article 4 : rapports de synthèse", "Article 4: synthesis reports"),
            (
                "art_5",
                "rk:Article",
                "5",
                "Article 5 : autres dispositions et publication",
                "Article 5: other provisions, publication",
            ),
            ("signatures", "rk:SignatureBlock", "Fait", "Date et signature", "Date and signature"),
        )
    )
    doc.node(doc.p("visa"), ("eli:cites", [_i(_CPC_BASIS[0]), _i(_CPC_BASIS[2]), _i(prev.doc)]))
    doc.signature(1, person, _ansm_role(person), ["org/ansm"], "signatures", f"{person.text} {_ansm_role(person)}")
    doc.cite_only(med.iri, "art_1", f"la spécialité {med.full}, exploitée par le laboratoire {company}")
    doc.company(med.company, "art_1", f"exploitée par le laboratoire {company}")
    doc.ttl.section("the renewed CPC")
    report_iri = doc.obligation(
        f"{measure}/obligation/periodic-report",
        "rk:ReportingObligation",
        f"Rapport de synthèse {every} pendant le CPC renouvelé",
        f"Synthesis report every {'six months' if frequency == 'P6M' else 'year'} during the renewed CPC",
        "art_4",
        report,
        ("rk:responsibleParty", _i(med.company.iri)),
        ("rk:recipient", _i("org/ansm")),
        ("rk:deliverable", _s("Rapport de synthèse", "fr")),
        ("rk:frequency", _dur(frequency)),
        ("rk:maximumDelay", _dur("P1M")),
    )
    doc.node(
        measure,
        ("a", "rk:AccessMeasure"),
        (
            "rdfs:label",
            _labels(f"CPC (fictif) de {med.name}, renouvellement {r}", f"Fictitious CPC for {med.name}, renewal {r}"),
        ),
        ("rk:framework", _i("framework/cpc")),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:establishedBy", _i(doc_iri)),
        ("rk:decidedBy", _i("org/ansm")),
        ("rk:legalBasis", [_i(_CPC_BASIS[0]), _i(_CPC_BASIS[2])]),
        ("rk:follows", _i(prev.measure)),
        ("rk:responsibleParty", _i(med.company.iri)),
        ("rk:hasIndication", [_i(ind.iri) for ind in indications]),
        ("rk:hasObligation", report_iri),
        ("rk:validity", _i(f"{measure}/period")),
        ("rk:citation", [doc.cite("art_1", renew), doc.cite("art_3", cover)]),
    )
    for ind in added:
        doc.indication(ind, "art_3", ind.sentence)
    doc.ttl.section("validity")
    period, p_start, p_end = f"{measure}/period", f"{measure}/period/start", f"{measure}/period/end"
    cite = doc.cite("art_2", validity)
    if start is not None and end is not None:
        doc.period(
            period,
            f"Validité du CPC {med.name} renouvelé : jusqu'au {_fr(end)} inclus",
            f"Validity of the renewed {med.name} CPC: until {_en(end)} inclusive",
            [cite],
            start=p_start,
            end=p_end,
        )
        doc.time_point(
            p_start,
            f"Début du CPC {med.name} renouvelé : {_fr(start)} (déduit)",
            f"Start of the renewed {med.name} CPC: {_en(start)} (derived)",
            "DateDerived",
            [doc.cite("art_2", from_words)],
            day=start,
            relative_to=prev.period.end,
            offset="P1D",
        )
        doc.time_point(
            p_end,
            f"Fin du CPC {med.name} renouvelé : {_fr(end)} inclus",
            f"End of the renewed {med.name} CPC: {_en(end)} inclusive",
            "DateStated",
            [doc.cite("art_2", f"jusqu'au {_fr(end)} inclus")],
            day=end,
        )
    else:
        doc.period(
            period,
            f"Validité du CPC {med.name} renouvelé : trois ans",
            f"Validity of the renewed {med.name} CPC: three years",
            [cite],
            start=p_start,
            end=p_end,
            end_inclusive=False,
            duration="P3Y",
        )
        doc.time_point(
            p_start,
            f"Début du CPC {med.name} renouvelé : le lendemain de la fin de la période précédente (date inconnue)",
            f"Start of the renewed {med.name} CPC: the day after the previous period ends (date unknown)",
            "DateUnknown",
            [doc.cite("art_2", from_words)],
            relative_to=prev.period.end,
            offset="P1D",
        )
        doc.time_point(
            p_end,
            f"Fin du CPC {med.name} renouvelé : trois ans après son début (date inconnue)",
            f"End of the renewed {med.name} CPC: three years after its start (date unknown)",
            "DateUnknown",
            [doc.cite("art_2", "pour une durée de trois ans")],
            relative_to=p_start,
            offset="P3Y",
        )
    yield doc.written()
    return _CpcState(measure, doc_iri, day, title, _Period(period, p_start, p_end, start, end), indications)


# ============================================================================ storyline: AAC and its extension


def _aac_story(corpus: _Corpus, rng: random.Random, number: Callable[[], int]) -> Iterator[_Written]:
    med = corpus.medicine(rng)
    day = date(2021, 9, 1) + timedelta(days=rng.randint(0, 6 * 365))
    extended = rng.random() < 0.4
    person = rng.choice(corpus.people["ansm"])
    crpv, crpv_full, crpv_short = _crpv(rng)
    n = number()
    doc_iri = _decision_iri("ansm", day, f"aac-{med.slug}")
    measure = f"{_ID}measure/{med.slug}-aac-{day.year}"
    ind = _make_indication(rng, corpus, measure, 1, _diseases(rng, 1)[0], board=rng.random() < 0.5)
    company = med.company.text
    title = f"portant autorisation d'accès compassionnel de la spécialité {med.full}"
    visa = "Vu le code de la santé publique, notamment son article L. 5121-12-1 II ;"
    grant = (
        f"L'accès compassionnel à la spécialité {med.full} {med.paren}, exploitée par le laboratoire {company}, "
        "est autorisé"
    )
    med_quote = f"{med.full} {med.paren}, exploitée par le laboratoire {company}"
    implement = (
        "L'accès compassionnel est mis en œuvre conformément au protocole d'utilisation thérapeutique et de suivi des "
        f"patients annexé à la présente décision. Le laboratoire {company} assure le recueil des données de suivi des "
        "patients traités."
    )
    pv = f"Le suivi national de pharmacovigilance est assuré par le {crpv_full}."
    report = f"Le laboratoire {company} transmet à l'ANSM un rapport périodique de synthèse tous les six mois."
    start = day + timedelta(days=rng.randint(1, 20))
    end = _last_day(start, 12)
    dated = extended or rng.random() < 0.6
    if dated:
        validity = f"La présente autorisation est valable du {_fr(start)} au {_fr(end)} inclus."
    else:
        validity = (
            "La présente autorisation est valable pour une durée d'un an à compter du lendemain de sa publication sur "
            "le site internet de l'ANSM."
        )
    published = "La présente décision est publiée sur le site internet de l'ANSM."
    done = f"Fait, le {_num(day)}"
    lines = [
        *_fiction(corpus, number=n),
        "ANSM - Agence nationale de sécurité du médicament et des produits de santé",
        "",
        f"DECISION DU {_num(day)}",
        title,
        "",
        _ansm_opening(person),
        "",
        visa,
        "",
        "Décide :",
        "",
        "Article 1er",
        f"{grant} dans l'indication suivante : {ind.sentence}.",
        "",
        "Article 2",
        implement,
        pv,
        "",
        "Article 3",
        report,
        "",
        "Article 4",
        validity,
        "",
        "Article 5",
        published,
        "",
        done,
        "",
        person.text,
        _ansm_role(person),
    ]
    stem = _stem(n, "ansm", day, "aac", med.slug)
    doc = _Doc(corpus, n, "aac", stem, doc_iri, lines)
    doc.ttl.section("the document")
    doc.node(
        doc_iri,
        ("a", "rk:Decision"),
        (
            "rdfs:label",
            _labels(
                f"Décision (fictive) de l'ANSM du {_num(day)} autorisant l'accès compassionnel à {med.name}",
                f"Fictitious ANSM decision of {_en(day)} authorising compassionate access to {med.name}",
            ),
        ),
        ("rdfs:comment", _s(f"Fictitious text generated by regkg synth (seed {corpus.seed}, text {n}).", "en")),
        ("eli:title", _s(title, "fr")),
        ("eli:date_document", _d(day)),
        ("rk:sourceFile", _s(f"{stem}.txt")),
        ("eli:passed_by", _i("org/ansm")),
        ("rk:emitter", _i("org/ansm")),
        ("eli:based_on", _i(_AAC_BASIS[0])),
        ("eli:cites", _i(_AAC_BASIS[0])),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:publicationChannel", _i("channel/ansm-website")),
        ("rk:annex", _i(doc.p("annex"))),
        ("rk:signature", _i(doc.p("signature/1"))),
        (
            "eli:has_part",
            [_i(doc.p(x)) for x in ("header", "visa", "art_1", "art_2", "art_3", "art_4", "art_5", "signatures")],
        ),
        (
            "rk:citation",
            [
                doc.cite("header", _FICTION_QUOTE, 1),
                doc.cite("header", f"DECISION DU {_num(day)} {title}", 2),
                doc.cite("visa", visa, 3),
                doc.cite("signatures", done, 4),
            ],
        ),
    )
    doc.provisions(
        (
            ("header", "rk:Section", "header", "En-tête (texte fictif)", "Header (fictitious text)"),
            ("visa", "rk:Visa", "Vu", "Visas", "Legal basis (visa)"),
            (
                "art_1",
                "rk:Article",
                "1",
                "Article 1er : autorisation et indication",
                "Article 1: authorisation and indication",
            ),
            (
                "art_2",
                "rk:Article",
                "2",
                "Article 2 : protocole et pharmacovigilance",
                "Article 2: protocol and pharmacovigilance",
            ),
            ("art_3", "rk:Article", "3", "Article 3 : rapports", "Article 3: reports"),
            ("art_4", "rk:Article", "4", "Article 4 : durée de validité", "Article 4: period of validity"),
            ("art_5", "rk:Article", "5", "Article 5 : publication", "Article 5: publication"),
            ("signatures", "rk:SignatureBlock", "Fait", "Date et signature", "Date and signature"),
        )
    )
    doc.node(doc.p("visa"), ("eli:cites", _i(_AAC_BASIS[0])))
    doc.node(
        doc.p("annex"),
        ("a", "rk:TherapeuticUseProtocol"),
        (
            "rdfs:label",
            _labels(
                f"PUT-SP (fictif) de l'AAC {med.name}",
                f"Therapeutic-use and follow-up protocol (fictitious) of the {med.name} AAC",
            ),
        ),
        (
            "rk:citation",
            doc.cite(
                "art_2", "protocole d'utilisation thérapeutique et de suivi des patients annexé à la présente décision"
            ),
        ),
    )
    doc.signature(1, person, _ansm_role(person), ["org/ansm"], "signatures", f"{person.text} {_ansm_role(person)}")
    doc.medicine(med, "art_1", med_quote, med.paren)
    doc.company(med.company, "art_1", f"exploitée par le laboratoire {company}")
    doc.ttl.section("the AAC")
    ob = f"{measure}/obligation"
    obligations = [
        doc.obligation(
            f"{ob}/implementation",
            "rk:ImplementationObligation",
            "Mise en œuvre selon le protocole et recueil des données de suivi",
            "Implementation under the protocol and collection of follow-up data",
            "art_2",
            implement,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:legalBasis", _i(doc.p("annex"))),
        ),
        doc.obligation(
            f"{ob}/pharmacovigilance",
            "rk:PharmacovigilanceObligation",
            f"Suivi national de pharmacovigilance par le {crpv_short}",
            f"National pharmacovigilance follow-up by the {crpv_short}",
            "art_2",
            pv,
            ("rk:responsibleParty", _i(crpv)),
        ),
        doc.obligation(
            f"{ob}/periodic-report",
            "rk:ReportingObligation",
            "Rapport périodique de synthèse tous les six mois",
            "Periodic synthesis report every six months",
            "art_3",
            report,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:recipient", _i("org/ansm")),
            ("rk:deliverable", _s("Rapport périodique de synthèse", "fr")),
            ("rk:frequency", _dur("P6M")),
        ),
        doc.obligation(
            f"{ob}/publication",
            "rk:PublicationObligation",
            "Publication de la décision sur le site internet de l'ANSM",
            "Publication of the decision on the ANSM website",
            "art_5",
            published,
            ("rk:publicationChannel", _i("channel/ansm-website")),
        ),
    ]
    doc.node(
        measure,
        ("a", "rk:AccessMeasure"),
        (
            "rdfs:label",
            _labels(
                f"Accès compassionnel (fictif) à {med.name} ({day.year})",
                f"Fictitious compassionate access to {med.name} ({day.year})",
            ),
        ),
        ("rk:framework", _i("framework/aac")),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:establishedBy", _i(doc_iri)),
        ("rk:decidedBy", _i("org/ansm")),
        ("rk:legalBasis", _i(_AAC_BASIS[0])),
        ("rk:responsibleParty", _i(med.company.iri)),
        ("rk:hasIndication", _i(ind.iri)),
        ("rk:hasObligation", obligations),
        ("rk:validity", _i(f"{measure}/period")),
        ("rk:citation", doc.cite("art_1", grant)),
    )
    doc.indication(ind, "art_1", ind.sentence)
    doc.ttl.section("validity")
    period, p_start, p_end = f"{measure}/period", f"{measure}/period/start", f"{measure}/period/end"
    if dated:
        doc.period(
            period,
            f"Validité de l'AAC {med.name} : du {_fr(start)} au {_fr(end)} inclus",
            f"Validity of the {med.name} AAC: {_en(start)} to {_en(end)} inclusive",
            [doc.cite("art_4", validity)],
            start=p_start,
            end=p_end,
            duration="P1Y",
        )
        doc.time_point(
            p_start,
            f"Début de l'AAC {med.name} : {_fr(start)}",
            f"Start of the {med.name} AAC: {_en(start)}",
            "DateStated",
            [doc.cite("art_4", f"valable du {_fr(start)}")],
            day=start,
        )
        doc.time_point(
            p_end,
            f"Fin de l'AAC {med.name} : {_fr(end)} inclus",
            f"End of the {med.name} AAC: {_en(end)} inclusive",
            "DateStated",
            [doc.cite("art_4", f"au {_fr(end)} inclus")],
            day=end,
        )
    else:
        publication = f"{measure}/publication"
        doc.time_point(
            publication,
            f"Publication de la décision AAC {med.name} (date non indiquée)",
            f"Publication of the {med.name} AAC decision (date not stated)",
            "DateUnknown",
            [doc.cite("art_5", published)],
            not_before=day,
        )
        doc.period(
            period,
            f"Validité de l'AAC {med.name} : un an à compter du lendemain de sa publication",
            f"Validity of the {med.name} AAC: one year from the day after its publication",
            [doc.cite("art_4", validity)],
            start=p_start,
            end=p_end,
            end_inclusive=False,
            duration="P1Y",
        )
        doc.time_point(
            p_start,
            f"Début de l'AAC {med.name} : le lendemain de sa publication (date inconnue)",
            f"Start of the {med.name} AAC: the day after its publication (date unknown)",
            "DateUnknown",
            [doc.cite("art_4", "à compter du lendemain de sa publication sur le site internet de l'ANSM")],
            relative_to=publication,
            offset="P1D",
            not_before=day + timedelta(days=1),
        )
        doc.time_point(
            p_end,
            f"Fin de l'AAC {med.name} : un an après son début (date inconnue)",
            f"End of the {med.name} AAC: one year after its start (date unknown)",
            "DateUnknown",
            [doc.cite("art_4", "pour une durée d'un an")],
            relative_to=p_start,
            offset="P1Y",
        )
    yield doc.written()
    if extended:
        yield _aac_extension(corpus, rng, number(), med, day, doc_iri, measure, ind, end)


def _aac_extension(
    corpus: _Corpus,
    rng: random.Random,
    n: int,
    med: _Medicine,
    prev_day: date,
    prev_doc: str,
    prev_measure: str,
    ind: _Indication,
    prev_end: date,
) -> _Written:
    person = rng.choice(corpus.people["ansm"])
    day = prev_end - timedelta(days=rng.randint(10, 60))
    start = prev_end + timedelta(days=1)
    months = rng.choice((6, 12))
    end = _last_day(start, months)
    doc_iri = _decision_iri("ansm", day, f"aac-{med.slug}-extension")
    measure = f"{prev_measure}-extension"
    title = f"portant prolongation de l'autorisation d'accès compassionnel de la spécialité {med.full}"
    visa = "Vu le code de la santé publique, notamment son article L. 5121-12-1 II ;"
    visa_prev = (
        f"Vu la décision du {_num(prev_day)} portant autorisation d'accès compassionnel de la spécialité {med.full} ;"
    )
    extend = (
        f"L'autorisation d'accès compassionnel accordée par la décision du {_num(prev_day)} susvisée est prolongée "
        f"du {_fr(start)} au {_fr(end)} inclus."
    )
    only = (
        "Pendant la période de prolongation, seuls les patients dont le traitement a été initié avant le "
        f"{_fr(start)} au titre de l'autorisation initiale peuvent être traités."
    )
    final = (
        f"Le laboratoire {med.company.text} transmet à l'ANSM un rapport final dans un délai de trois mois suivant la "
        "fin de la prolongation."
    )
    unchanged = f"Les autres dispositions de la décision du {_num(prev_day)} susvisée demeurent applicables."
    published = "La présente décision est publiée sur le site internet de l'ANSM."
    done = f"Fait, le {_num(day)}"
    lines = [
        *_fiction(corpus, n),
        "ANSM - Agence nationale de sécurité du médicament et des produits de santé",
        "",
        f"DECISION DU {_num(day)}",
        title,
        "",
        _ansm_opening(person),
        "",
        visa,
        visa_prev,
        "",
        "Décide :",
        "",
        "Article 1er",
        extend,
        "",
        "Article 2",
        only,
        final,
        "",
        "Article 3",
        unchanged,
        published,
        "",
        done,
        "",
        person.text,
        _ansm_role(person),
    ]
    stem = _stem(n, "ansm", day, "aac-extension", med.slug)
    doc = _Doc(corpus, n, "aac-extension", stem, doc_iri, lines)
    doc.node(
        doc_iri,
        ("a", "rk:Decision"),
        (
            "rdfs:label",
            _labels(
                f"Décision (fictive) de l'ANSM du {_num(day)} prolongeant l'AAC {med.name}",
                f"Fictitious ANSM decision of {_en(day)} extending the {med.name} AAC",
            ),
        ),
        ("rdfs:comment", _s(f"Fictitious text generated by regkg synth (seed {corpus.seed}, text {n}).", "en")),
        ("eli:title", _s(title, "fr")),
        ("eli:date_document", _d(day)),
        ("rk:sourceFile", _s(f"{stem}.txt")),
        ("eli:passed_by", _i("org/ansm")),
        ("rk:emitter", _i("org/ansm")),
        ("eli:based_on", _i(_AAC_BASIS[0])),
        ("eli:cites", [_i(_AAC_BASIS[0]), _i(prev_doc)]),
        ("rk:updates", _i(prev_doc)),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:signature", _i(doc.p("signature/1"))),
        ("eli:has_part", [_i(doc.p(x)) for x in ("header", "visa", "art_1", "art_2", "art_3", "signatures")]),
        (
            "rk:citation",
            [
                doc.cite("header", _FICTION_QUOTE, 1),
                doc.cite("header", f"DECISION DU {_num(day)} {title}", 2),
                doc.cite("visa", visa_prev, 3),
                doc.cite("signatures", done, 4),
            ],
        ),
    )
    doc.provisions(
        (
            ("header", "rk:Section", "header", "En-tête (texte fictif)", "Header (fictitious text)"),
            ("visa", "rk:Visa", "Vu", "Visas", "Legal basis (visa)"),
            ("art_1", "rk:Article", "1", "Article 1er : prolongation", "Article 1: extension"),
            (
                "art_2",
                "rk:Article",
                "2",
                "Article 2 : patients concernés et rapport final",
                "Article 2: patients concerned, final report",
            ),
            (
                "art_3",
                "rk:Article",
                "3",
                "Article 3 : autres dispositions et publication",
                "Article 3: other provisions, publication",
            ),
            ("signatures", "rk:SignatureBlock", "Fait", "Date et signature", "Date and signature"),
        )
    )
    doc.node(doc.p("visa"), ("eli:cites", [_i(_AAC_BASIS[0]), _i(prev_doc)]))
    doc.signature(1, person, _ansm_role(person), ["org/ansm"], "signatures", f"{person.text} {_ansm_role(person)}")
    doc.cite_only(med.iri, "header", title)
    condition = f"{measure}/condition/treatment-start"
    doc.node(
        measure,
        ("a", "rk:AccessMeasure"),
        (
            "rdfs:label",
            _labels(f"Prolongation (fictive) de l'AAC {med.name}", f"Fictitious extension of the {med.name} AAC"),
        ),
        ("rk:framework", _i("framework/aac")),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:establishedBy", _i(doc_iri)),
        ("rk:decidedBy", _i("org/ansm")),
        ("rk:legalBasis", _i(_AAC_BASIS[0])),
        ("rk:follows", _i(prev_measure)),
        ("rk:hasIndication", _i(ind.iri)),
        ("rk:hasCondition", _i(condition)),
        ("rk:hasObligation", _i(f"{measure}/obligation/final-report")),
        ("rk:validity", _i(f"{measure}/period")),
        ("rk:citation", doc.cite("art_1", extend)),
    )
    doc.obligation(
        f"{measure}/obligation/final-report",
        "rk:ReportingObligation",
        "Rapport final dans les trois mois suivant la fin de la prolongation",
        "Final report within three months after the extension ends",
        "art_2",
        final,
        ("rk:responsibleParty", _i(med.company.iri)),
        ("rk:recipient", _i("org/ansm")),
        ("rk:deliverable", _s("Rapport final", "fr")),
        ("rk:deadline", _dur("P3M")),
        ("rk:deadlineFrom", _i(f"{measure}/period/end")),
    )
    doc.company(med.company, "art_2", f"Le laboratoire {med.company.text} transmet à l'ANSM un rapport final")
    doc.node(
        condition,
        ("a", "rk:TreatmentStartCondition"),
        (
            "rdfs:label",
            _labels(
                f"Traitement initié avant le {_fr(start)} au titre de l'AAC initiale",
                f"Treatment initiated before {_en(start)} under the initial AAC",
            ),
        ),
        ("rk:beforeDate", _d(start)),
        ("rk:initiatedUnder", _i(prev_measure)),
        ("rk:citation", doc.cite("art_2", only)),
    )
    period, p_start, p_end = f"{measure}/period", f"{measure}/period/start", f"{measure}/period/end"
    doc.period(
        period,
        f"Prolongation de l'AAC {med.name} : du {_fr(start)} au {_fr(end)} inclus",
        f"Extension of the {med.name} AAC: {_en(start)} to {_en(end)} inclusive",
        [doc.cite("art_1", extend)],
        start=p_start,
        end=p_end,
        duration=f"P{months}M",
    )
    doc.time_point(
        p_start,
        f"Début de la prolongation de l'AAC {med.name} : {_fr(start)}",
        f"Start of the {med.name} AAC extension: {_en(start)}",
        "DateStated",
        [doc.cite("art_1", f"prolongée du {_fr(start)}")],
        day=start,
    )
    doc.time_point(
        p_end,
        f"Fin de la prolongation de l'AAC {med.name} : {_fr(end)} inclus",
        f"End of the {med.name} AAC extension: {_en(end)} inclusive",
        "DateStated",
        [doc.cite("art_1", f"au {_fr(end)} inclus")],
        day=end,
    )
    return doc.written()


# ============================================================================ storyline: early access, then notes


@dataclass
class _NoteState:
    doc: str
    day: date
    number: str
    title: str
    measure: str  # the latest measure (continuity or free supply)
    end: date
    end_iri: str


def _aap_story(corpus: _Corpus, rng: random.Random, number: Callable[[], int]) -> Iterator[_Written]:
    med = corpus.medicine(rng)
    day = date(2021, 9, 1) + timedelta(days=rng.randint(0, 6 * 365))
    notes = rng.choice((0, 1, 1, 2, 2, 3))
    pre = rng.random() < 0.5
    n = number()
    person = rng.choice(corpus.people["has"])
    crpv, crpv_full, crpv_short = _crpv(rng)
    decision_number = f"SYNTH-{day.year}.{n % 10000:04d}/DC/SEAP"
    doc_iri = _decision_iri("has", day, f"aap-{med.slug}")
    measure = f"{_ID}measure/{med.slug}-aap-{day.year}"
    ind = _make_indication(rng, corpus, measure, 1, _diseases(rng, 1)[0], board=rng.random() < 0.3)
    company = med.company.text
    kind_words = "pré-AMM" if pre else "post-AMM"
    heading = (
        f"Décision n° {decision_number} du {_fr(day)} du collège de la Haute Autorité de santé portant autorisation "
        f"d'accès précoce de la spécialité {med.full}"
    )
    deliberated = f"Le collège de la Haute Autorité de santé ayant valablement délibéré en sa séance du {_fr(day)},"
    visa_csp = "Vu le code de la santé publique, notamment son article L. 5121-12 ;"
    visa_css = "Vu le code de la sécurité sociale, notamment son article L. 162-16-5-1 ;"
    visa_request = f"Vu la demande d'autorisation d'accès précoce présentée par le laboratoire {company} ;"
    grant = f"L'autorisation d'accès précoce {kind_words} de la spécialité {med.full}"
    grant_line = (
        f"{grant} {med.paren}, exploitée par le laboratoire {company}, est accordée dans l'indication suivante : "
        f"{ind.sentence}."
    )
    start = day + timedelta(days=rng.randint(5, 30))
    end = _last_day(start, 12)
    dated = notes > 0 or rng.random() < 0.6
    if dated:
        validity = f"Cette autorisation est accordée pour une durée d'un an, du {_fr(start)} au {_fr(end)} inclus."
    else:
        validity = (
            "Cette autorisation est accordée pour une durée d'un an à compter de la date de publication de la présente "
            "décision au Journal officiel de la République française."
        )
    implement = (
        f"Le laboratoire {company} met en œuvre le protocole d'utilisation thérapeutique et de recueil des données "
        "annexé à la présente décision."
    )
    report = (
        "Il transmet à la Haute Autorité de santé et à l'ANSM un rapport de synthèse six mois après le début de "
        "l'autorisation puis tous les six mois."
    )
    pv = f"Le suivi national de pharmacovigilance est assuré par le {crpv_full}."
    summaries = (
        "Un résumé de chaque rapport de synthèse, établi par le laboratoire, est publié sur le site internet de la "
        "Haute Autorité de santé après validation par celle-ci."
    )
    inform = (
        f"Le laboratoire {company} informe les prescripteurs et les pharmacies à usage intérieur des établissements "
        "de santé concernés des conditions de l'accès précoce."
    )
    published = "La présente décision est publiée au Bulletin officiel de la Haute Autorité de santé."
    done = f"Fait le {_fr(day)}."
    role = f"{'La présidente' if person.feminine else 'Le président'} de la Haute Autorité de santé (personnage fictif)"
    lines = [
        *_fiction(corpus, n),
        "HAS - Haute Autorité de santé",
        "",
        heading,
        "",
        deliberated,
        "",
        visa_csp,
        visa_css,
        visa_request,
        "",
        "Décide :",
        "",
        "Article 1er",
        grant_line,
        "",
        "Article 2",
        validity,
        "",
        "Article 3",
        implement,
        report,
        summaries,
        inform,
        pv,
        "",
        "Article 4",
        published,
        "",
        done,
        "",
        "Pour le collège :",
        person.text,
        role,
    ]
    stem = _stem(n, "has", day, "aap", med.slug)
    doc = _Doc(corpus, n, "aap", stem, doc_iri, lines)
    doc.ttl.section("the document")
    doc.node(
        doc_iri,
        ("a", "rk:Decision"),
        (
            "rdfs:label",
            _labels(
                f"Décision (fictive) de la HAS du {_num(day)} portant autorisation d'accès précoce de {med.name}",
                f"Fictitious HAS decision of {_en(day)} granting early access to {med.name}",
            ),
        ),
        ("rdfs:comment", _s(f"Fictitious text generated by regkg synth (seed {corpus.seed}, text {n}).", "en")),
        ("eli:title", _s(f"portant autorisation d'accès précoce de la spécialité {med.full}", "fr")),
        ("eli:number", _s(decision_number)),
        ("eli:date_document", _d(day)),
        ("rk:sourceFile", _s(f"{stem}.txt")),
        ("eli:passed_by", _i("org/has")),
        ("rk:emitter", _i("org/has")),
        ("eli:based_on", [_i(a) for a in _AAP_BASIS]),
        ("eli:cites", [_i(a) for a in _AAP_BASIS]),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:publicationChannel", _i(_HAS_BO)),
        ("rk:annex", _i(doc.p("annex"))),
        ("rk:signature", _i(doc.p("signature/1"))),
        ("eli:has_part", [_i(doc.p(x)) for x in ("header", "visa", "art_1", "art_2", "art_3", "art_4", "signatures")]),
        (
            "rk:citation",
            [
                doc.cite("header", _FICTION_QUOTE, 1),
                doc.cite("header", heading, 2),
                doc.cite("visa", visa_csp, 3),
                doc.cite("visa", visa_css, 4),
                doc.cite("signatures", done, 5),
            ],
        ),
    )
    doc.provisions(
        (
            ("header", "rk:Section", "header", "En-tête (texte fictif)", "Header (fictitious text)"),
            ("visa", "rk:Visa", "Vu", "Visas", "Legal basis (visa)"),
            (
                "art_1",
                "rk:Article",
                "1",
                "Article 1er : autorisation et indication",
                "Article 1: authorisation and indication",
            ),
            ("art_2", "rk:Article", "2", "Article 2 : durée", "Article 2: duration"),
            (
                "art_3",
                "rk:Article",
                "3",
                "Article 3 : protocole, rapports et pharmacovigilance",
                "Article 3: protocol, reports, pharmacovigilance",
            ),
            ("art_4", "rk:Article", "4", "Article 4 : publication", "Article 4: publication"),
            ("signatures", "rk:SignatureBlock", "Fait", "Date et signature", "Date and signature"),
        )
    )
    doc.node(doc.p("visa"), ("eli:cites", [_i(a) for a in _AAP_BASIS]))
    doc.node(
        doc.p("annex"),
        ("a", "rk:TherapeuticUseProtocol"),
        (
            "rdfs:label",
            _labels(
                f"PUT-RD (fictif) de l'accès précoce {med.name}",
                f"Therapeutic-use and data-collection protocol (fictitious) of the {med.name} early access",
            ),
        ),
        ("rk:citation", doc.cite("art_3", implement)),
    )
    doc.signature(1, person, role, ["org/has"], "signatures", f"Pour le collège : {person.text} {role}")
    doc.medicine(med, "art_1", f"{med.full} {med.paren}, exploitée par le laboratoire {company}", med.paren)
    doc.company(med.company, "art_1", f"exploitée par le laboratoire {company}")
    doc.ttl.section("the early access")
    ob = f"{measure}/obligation"
    obligations = [
        doc.obligation(
            f"{ob}/implementation",
            "rk:ImplementationObligation",
            "Mise en œuvre du protocole d'utilisation thérapeutique et de recueil des données",
            "Implementation of the therapeutic-use and data-collection protocol",
            "art_3",
            implement,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:legalBasis", _i(doc.p("annex"))),
        ),
        doc.obligation(
            f"{ob}/periodic-report",
            "rk:ReportingObligation",
            "Rapport de synthèse six mois après le début de l'autorisation puis tous les six mois",
            "Synthesis report six months after the start, then every six months",
            "art_3",
            report,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:recipient", [_i("org/has"), _i("org/ansm")]),
            ("rk:deliverable", _s("Rapport de synthèse", "fr")),
            ("rk:deadline", _dur("P6M")),
            ("rk:deadlineFrom", _i(f"{measure}/period/start")),
            ("rk:frequency", _dur("P6M")),
        ),
        doc.obligation(
            f"{ob}/pharmacovigilance",
            "rk:PharmacovigilanceObligation",
            f"Suivi national de pharmacovigilance par le {crpv_short}",
            f"National pharmacovigilance follow-up by the {crpv_short}",
            "art_3",
            pv,
            ("rk:responsibleParty", _i(crpv)),
        ),
        doc.obligation(
            f"{ob}/report-summary",
            "rk:ReportingObligation",
            "Résumé de chaque rapport de synthèse, publié par la HAS après validation",
            "Summary of each synthesis report, published by HAS after validation",
            "art_3",
            summaries,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:recipient", _i("org/has")),
            ("rk:deliverable", _s("Résumé du rapport de synthèse", "fr")),
            ("rk:publicationChannel", _i(_HAS_WEBSITE)),
        ),
        doc.obligation(
            f"{ob}/inform-prescribers",
            "rk:InformationObligation",
            "Information des prescripteurs et des PUI sur les conditions de l'accès précoce",
            "The company informs prescribers and hospital pharmacies of the early-access conditions",
            "art_3",
            inform,
            ("rk:responsibleParty", _i(med.company.iri)),
            ("rk:recipient", [_i("actors/prescribers"), _i("actors/pui-public-sale")]),
        ),
        doc.obligation(
            f"{ob}/publication",
            "rk:PublicationObligation",
            "Publication au Bulletin officiel de la HAS",
            "Publication in the HAS official bulletin",
            "art_4",
            published,
            ("rk:publicationChannel", _i(_HAS_BO)),
        ),
    ]
    framework = "framework/aap-pre-amm" if pre else "framework/aap-post-amm"
    doc.node(
        measure,
        ("a", "rk:AccessMeasure"),
        (
            "rdfs:label",
            _labels(
                f"Accès précoce {kind_words} (fictif) de {med.name} ({day.year})",
                f"Fictitious {'pre' if pre else 'post'}-marketing-authorisation early access for {med.name} "
                f"({day.year})",
            ),
        ),
        ("rk:framework", _i(framework)),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:establishedBy", _i(doc_iri)),
        ("rk:decidedBy", _i("org/has")),
        ("rk:legalBasis", [_i(a) for a in _AAP_BASIS]),
        ("rk:responsibleParty", _i(med.company.iri)),
        ("rk:hasIndication", _i(ind.iri)),
        ("rk:hasObligation", obligations),
        ("rk:validity", _i(f"{measure}/period")),
        ("rk:citation", doc.cite("art_1", grant)),
    )
    doc.indication(ind, "art_1", ind.sentence)
    doc.ttl.section("validity")
    period, p_start, p_end = f"{measure}/period", f"{measure}/period/start", f"{measure}/period/end"
    if dated:
        doc.period(
            period,
            f"Validité de l'accès précoce {med.name} : du {_fr(start)} au {_fr(end)} inclus",
            f"Validity of the {med.name} early access: {_en(start)} to {_en(end)} inclusive",
            [doc.cite("art_2", validity)],
            start=p_start,
            end=p_end,
            duration="P1Y",
        )
        doc.time_point(
            p_start,
            f"Début de l'accès précoce {med.name} : {_fr(start)}",
            f"Start of the {med.name} early access: {_en(start)}",
            "DateStated",
            [doc.cite("art_2", f"du {_fr(start)}")],
            day=start,
        )
        doc.time_point(
            p_end,
            f"Fin de l'accès précoce {med.name} : {_fr(end)} inclus",
            f"End of the {med.name} early access: {_en(end)} inclusive",
            "DateStated",
            [doc.cite("art_2", f"au {_fr(end)} inclus")],
            day=end,
        )
    else:
        doc.period(
            period,
            f"Validité de l'accès précoce {med.name} : un an à compter de la publication au JO",
            f"Validity of the {med.name} early access: one year from publication in the Journal officiel",
            [doc.cite("art_2", validity)],
            start=p_start,
            end=p_end,
            end_inclusive=False,
            duration="P1Y",
        )
        doc.time_point(
            p_start,
            f"Publication de la décision au Journal officiel, début de l'accès précoce {med.name} (date inconnue)",
            f"Publication of the decision in the Journal officiel, start of the {med.name} early access (date unknown)",
            "DateUnknown",
            [
                doc.cite(
                    "art_2",
                    "à compter de la date de publication de la présente décision au Journal officiel de la "
                    "République française",
                )
            ],
            not_before=day,
        )
        doc.time_point(
            p_end,
            f"Fin de l'accès précoce {med.name} : un an après la publication (date inconnue)",
            f"End of the {med.name} early access: one year after publication (date unknown)",
            "DateUnknown",
            [doc.cite("art_2", "pour une durée d'un an")],
            relative_to=p_start,
            offset="P1Y",
        )
    yield doc.written()
    if not notes:
        return
    aap = _AapState(med, measure, doc_iri, ind, start, end, p_end, kind_words)
    state = yield from _continuity_note(corpus, rng, number(), aap)
    for _ in range(notes - 1):
        state = yield from _free_supply_note(corpus, rng, number(), aap, state)


@dataclass
class _AapState:
    med: _Medicine
    measure: str
    doc: str
    indication: _Indication
    start: date
    end: date
    end_iri: str
    kind_words: str


_ADDRESSEE = "Mesdames et Messieurs les directeurs généraux des agences régionales de santé (ARS)"
_COPIES = (
    (
        "org/omedit",
        "Mesdames et Messieurs les coordinateurs des observatoires des médicaments, des dispositifs médicaux et de "
        "l'innovation thérapeutique (OMEDIT)",
    ),
    ("org/cnam", "Monsieur le directeur général de la Caisse nationale de l'assurance maladie (CNAM)"),
)
_MINISTERS = (
    ("org/ministry-health", "La ministre de la santé et de l'accès aux soins"),
    ("org/ministry-budget", "Le ministre auprès du Premier ministre, chargé du budget et des comptes publics"),
)
_EMITTERS = (
    "Ministère de la santé et de l'accès aux soins Direction générale de l'offre de soins (DGOS) Direction de la "
    "sécurité sociale (DSS)"
)
_OVERSEAS = (
    "Ces dispositions s'appliquent dans les départements et régions d'Outre-mer, à Saint-Barthélemy et à Saint-Martin."
)
_TERRITORIES = ("territory/drom", "territory/saint-barthelemy", "territory/saint-martin")
_CONTACTS = (
    (
        "org/dgos/ri2",
        "Direction générale de l'offre de soins Bureau de l'accès à l'innovation et des produits de santé (RI2)",
    ),
    ("org/dss/1c", "Direction de la sécurité sociale Bureau des produits de santé (1C)"),
)


def _note_frame(
    corpus: _Corpus,
    rng: random.Random,
    n: int,
    day: date,
    relative: str,
    objet: str,
    summary: str,
    references: list[str],
    preamble: str | None,
    body: list[str],
    keywords: str,
) -> tuple[list[str], dict[str, str]]:
    """The text of a DGOS/DSS note and the strings the Turtle quotes."""
    number = f"DGOS/RI2/DSS/1C/{day.year}/SYNTH-{n:05d}"
    nor = f"SYNT{day.year % 100:02d}{n % 100000:05d}N"
    internal = f"{day.year}/SYNTH-{n:05d}"
    dgos, dss = rng.choice(corpus.people["dgos"]), rng.choice(corpus.people["dss"])
    dgos_role = f"{'La directrice générale' if dgos.feminine else 'Le directeur général'} de l'offre de soins,"
    dss_role = (
        f"{'La cheffe de service, adjointe' if dss.feminine else 'Le chef de service, adjoint'} au directeur de la "
        "sécurité sociale,"
    )
    heading = f"NOTE D'INFORMATION INTERMINISTÉRIELLE N° {number}"
    dated = f"du {_fr(day)} {relative}"
    pages = rng.choice((2, 3))
    meeting_day = day - timedelta(days=rng.randint(7, 25))
    agenda = str(rng.randint(20, 140))
    listed = f"Inscrite pour information à l'ordre du jour du CNP du {_fr(meeting_day)} – N° {agenda}"
    lines = [
        *_fiction(corpus, n),
        "MINISTÈRE DE LA SANTÉ ET DE L'ACCÈS AUX SOINS",
        "MINISTÈRE AUPRÈS DU PREMIER MINISTRE, CHARGÉ DU BUDGET ET DES COMPTES PUBLICS",
        "",
        f"{heading} {dated}",
        "",
        _MINISTERS[0][1],
        _MINISTERS[1][1],
        "",
        "à",
        "",
        _ADDRESSEE,
        "",
        "Copie à :",
        "",
        *(text for _, text in _COPIES),
        "",
        f"Référence\tNOR : {nor} (numéro interne : {internal})",
        f"Date de signature\t{_num(day)}",
        f"Emetteurs\t{_EMITTERS}",
        f"Objet\t{objet}",
        f"Contacts utiles\t{_CONTACTS[0][1]} {_CONTACTS[1][1]}",
        f"Nombre de pages et annexe\t{pages} pages et aucune annexe",
        f"Résumé\t{summary}",
        f"Mention Outre-mer\t{_OVERSEAS}",
        f"Mots-clés\t{keywords}",
        "Classement thématique\tPharmacie humaine",
        "Textes de référence\t" + " ".join(references),
        "Rediffusion locale\tÉtablissements de santé",
        f"{listed}\t",
        "Publiée au BO\tOui",
        "",
        *([preamble, ""] if preamble else []),
        *body,
        "",
        "Pour la ministre et par délégation :",
        dgos_role,
        dgos.text,
        "",
        "Pour les ministres et par délégation :",
        dss_role,
        dss.text,
    ]
    strings = {
        "number": number,
        "nor": nor,
        "internal": internal,
        "heading": heading,
        "dated": dated,
        "pages": str(pages),
        "dgos": dgos.iri,
        "dss": dss.iri,
        "dgos_role": dgos_role,
        "dss_role": dss_role,
        "dgos_text": dgos.text,
        "dss_text": dss.text,
        "dgos_label": dgos.label,
        "dss_label": dss.label,
        "objet": objet,
        "summary": summary,
        "keywords": keywords,
        "listed": listed,
        "meeting_day": meeting_day.isoformat(),
        "agenda": agenda,
    }
    return lines, strings


def _note_document(
    doc: _Doc,
    st: dict[str, str],
    day: date,
    med: _Medicine,
    relative: str,
    parts: list[str],
    cites: list[str],
    updates: str | None,
    extra_cites: list[str],
) -> None:
    """The note's metadata, provisions, parties and signatures."""
    doc.ttl.section("the document")
    meeting_day = date.fromisoformat(st["meeting_day"])
    meeting = f"{_ID}meeting/cnp/{meeting_day.isoformat()}/{doc.number:06d}"
    doc.node(
        doc.iri,
        ("a", "rk:InformationNote"),
        (
            "rdfs:label",
            _labels(
                f"Note d'information interministérielle (fictive) n° {st['number']} du {_fr(day)}",
                f"Fictitious interministerial information note No. {st['number']} of {_en(day)}",
            ),
        ),
        (
            "rdfs:comment",
            _s(f"Fictitious text generated by regkg synth (seed {doc.corpus.seed}, text {doc.number}).", "en"),
        ),
        ("eli:title", _s(relative, "fr")),
        ("eli:number", _s(st["number"])),
        ("rk:nor", _s(st["nor"])),
        ("rk:internalNumber", _s(st["internal"])),
        ("eli:date_document", _d(day)),
        ("rk:sourceFile", _s(f"{doc.stem}.txt")),
        ("eli:passed_by", [_i(m) for m, _ in _MINISTERS]),
        ("rk:emitter", [_i(m) for m, _ in _MINISTERS] + [_i("org/dgos"), _i("org/dss")]),
        ("rk:addressee", _i("org/ars")),
        ("rk:copyRecipient", [_i(o) for o, _ in _COPIES]),
        ("rk:contactPoint", [_i(o) for o, _ in _CONTACTS]),
        ("rk:pageCount", st["pages"]),
        ("rk:annexCount", "0"),
        ("rk:summary", _s(st["summary"], "fr")),
        ("rk:thematicClassification", _s("Pharmacie humaine", "fr")),
        ("rk:territorialScope", [_i(t) for t in _TERRITORIES]),
        ("dcat:keyword", [_s(k) for k in st["keywords"].removesuffix(".").split(" - ")]),
        ("rk:listedAt", _i(meeting)),
        ("rk:localRedistribution", _i("actors/health-establishments")),
        ("rk:publishedInOfficialBulletin", "true"),
        ("rk:publicationChannel", _i("channel/bo")),
        ("eli:cites", [_i(c) for c in cites]),
        ("rk:updates", _i(updates) if updates else None),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:signature", [_i(doc.p("signature/1")), _i(doc.p("signature/2"))]),
        ("eli:has_part", [_i(doc.p(x)) for x in parts]),
        (
            "rk:citation",
            [
                doc.cite("header", _FICTION_QUOTE),
                doc.cite("header", st["heading"]),
                doc.cite("header", st["dated"]),
                *(doc.cite("header", text) for _, text in _MINISTERS),
                doc.cite("header", _ADDRESSEE),
                *(doc.cite("header", text) for _, text in _COPIES),
                doc.cite("summary_table", f"NOR : {st['nor']} (numéro interne : {st['internal']})"),
                doc.cite("summary_table", _EMITTERS),
                doc.cite("summary_table", st["objet"]),
                *(doc.cite("summary_table", text) for _, text in _CONTACTS),
                doc.cite("summary_table", f"{st['pages']} pages et aucune annexe"),
                doc.cite("summary_table", st["summary"]),
                doc.cite("summary_table", "Publiée au BO Oui"),
                doc.cite("summary_table", _OVERSEAS),
                doc.cite("summary_table", f"Mots-clés {st['keywords']}"),
                *extra_cites,
            ],
        ),
    )
    names = {
        "header": ("En-tête : titre et destinataires", "Header: title and addressees"),
        "summary_table": ("Tableau récapitulatif", "Summary table"),
        "preamble": ("Préambule", "Preamble"),
        "sec_I": ("I. Contexte", "I. Context"),
        "sec_II": ("II. Dispositions", "II. Provisions"),
        "signatures": ("Signatures", "Signatures"),
    }
    doc.provisions(
        [
            (x, "rk:SignatureBlock" if x == "signatures" else "rk:Section", x.removeprefix("sec_"), *names[x])
            for x in parts
        ]
    )
    doc.node(
        meeting,
        ("a", "rk:Meeting"),
        (
            "rdfs:label",
            _labels(
                f"Séance du CNP du {_fr(meeting_day)} (fictive)", f"CNP meeting of {_en(meeting_day)} (fictitious)"
            ),
        ),
        ("rk:heldBy", _i("org/cnp")),
        ("rk:meetingDate", _d(meeting_day)),
        ("rk:agendaNumber", _s(st["agenda"])),
        ("rk:citation", doc.cite("summary_table", st["listed"])),
    )
    doc.signature(
        1,
        _Party(st["dgos"], st["dgos_label"], st["dgos_text"]),
        st["dgos_role"].rstrip(","),
        ["org/ministry-health"],
        "signatures",
        f"Pour la ministre et par délégation : {st['dgos_role']} {st['dgos_text']}",
    )
    doc.signature(
        2,
        _Party(st["dss"], st["dss_label"], st["dss_text"]),
        st["dss_role"].rstrip(","),
        ["org/ministry-health", "org/ministry-budget"],
        "signatures",
        f"Pour les ministres et par délégation : {st['dss_role']} {st['dss_text']}",
    )


def _continuity_note(
    corpus: _Corpus, rng: random.Random, n: int, aap: _AapState
) -> Generator[_Written, None, _NoteState]:
    med, company = aap.med, aap.med.company.text
    day = aap.end + timedelta(days=rng.randint(5, 50))
    cont_start = aap.end + timedelta(days=1)
    cont_end = _last_day(cont_start, 12)
    relative = (
        "relative aux modalités de continuité de traitement des patients traités par la spécialité pharmaceutique "
        f"{med.full} {med.paren} suite au non renouvellement de l'autorisation d'accès précoce"
    )
    objet = (
        "Modalités de continuité de traitement des patients traités par la spécialité pharmaceutique "
        f"{med.full} {med.paren}."
    )
    benefit = f"bénéficie jusqu'au {_fr(cont_end)}"
    summary = (
        f"La spécialité {med.name} ({med.inn}) {benefit} d'une prise en charge au titre de la continuité de traitement "
        "en fin d'autorisation d'accès précoce."
    )
    references = ["- Articles L. 162-16-5-1 et L. 162-16-5-4 du code de la sécurité sociale."]
    between = f"entre le {_fr(aap.start)} et le {_fr(aap.end)}"
    context = (
        f"La spécialité {med.full} {med.paren} a bénéficié d'une autorisation d'accès précoce {aap.kind_words} "
        f"{between}, dans l'indication « {aap.indication.sentence} »."
    )
    initiated = f"traitements initiés avant le {_fr(cont_start)} par {med.name} au titre de l'indication concernée"
    assured = f"La continuité des {initiated} est assurée par le laboratoire {company}"
    from_stop = "à compter de l'arrêt de la prise en charge au titre de l'autorisation d'accès précoce"
    until = f"c'est-à-dire jusqu'au {_fr(cont_end)}"
    continuity = f"{assured} pendant une durée d'un an {from_stop}, {until}."
    relay = (
        "Les agences régionales de santé sont chargées de diffuser la présente note aux établissements de santé de "
        "leur ressort."
    )
    body = ["I. Contexte", "", context, "", "II. Continuité des traitements", "", continuity, relay]
    keywords = f"{med.name} - {_cap(med.inn)} - Accès précoce - Continuité de traitement."
    lines, st = _note_frame(corpus, rng, n, day, relative, objet, summary, references, None, body, keywords)
    stem = _stem(n, "dgos-dss", day, "continuity-note", med.slug)
    doc_iri = f"{_ID}eli/dgos-dss/note/{day.year}/{day.month:02d}/{day.day:02d}/{day.year}-synth-{n:05d}"
    doc = _Doc(corpus, n, "continuity-note", stem, doc_iri, lines)
    parts = ["header", "summary_table", "sec_I", "sec_II", "signatures"]
    _note_document(doc, st, day, med, relative, parts, list(_NOTE_CITES), None, [])
    doc.ttl.section("what the note reports and establishes")
    doc.cite_only(med.iri, "header", f"{med.full} {med.paren}")
    doc.company(med.company, "sec_II", f"est assurée par le laboratoire {company}")
    doc.cite_only(aap.measure, "sec_I", context, extra=[("rk:reportedIn", _i(doc_iri))])
    measure = f"{_ID}measure/{med.slug}-continuity-{cont_start.year}"
    condition = f"{measure}/condition/treatment-start"
    relay_iri = f"{measure}/obligation/relay-to-establishments"
    doc.node(
        measure,
        ("a", "rk:AccessMeasure"),
        (
            "rdfs:label",
            _labels(
                f"Continuité de traitement (fictive) de {med.name} jusqu'au {_fr(cont_end)}",
                f"Fictitious continuity of {med.name} treatment until {_en(cont_end)}",
            ),
        ),
        ("rk:framework", _i("framework/continuity")),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:follows", _i(aap.measure)),
        ("rk:establishedBy", _i(doc_iri)),
        ("rk:decidedBy", [_i(m) for m, _ in _MINISTERS]),
        ("rk:legalBasis", _i("eli/code/css/L162-16-5-4")),
        ("rk:responsibleParty", _i(med.company.iri)),
        ("rk:hasIndication", _i(aap.indication.iri)),
        ("rk:hasCondition", _i(condition)),
        ("rk:hasObligation", _i(relay_iri)),
        ("rk:validity", _i(f"{measure}/period")),
        ("rk:citation", [doc.cite("sec_II", assured), doc.cite("summary_table", summary)]),
    )
    doc.node(
        condition,
        ("a", "rk:TreatmentStartCondition"),
        (
            "rdfs:label",
            _labels(
                f"Traitement initié avant le {_fr(cont_start)} au titre de l'accès précoce",
                f"Treatment initiated before {_en(cont_start)} under the early access",
            ),
        ),
        ("rk:beforeDate", _d(cont_start)),
        ("rk:initiatedUnder", _i(aap.measure)),
        ("rk:citation", doc.cite("sec_II", initiated)),
    )
    doc.obligation(
        relay_iri,
        "rk:InformationObligation",
        "Diffusion de la note aux établissements de santé par les ARS",
        "The regional health agencies pass the note on to the health establishments",
        "sec_II",
        relay,
        ("rk:responsibleParty", _i("org/ars")),
        ("rk:recipient", _i("actors/health-establishments")),
    )
    period, p_start, p_end = f"{measure}/period", f"{measure}/period/start", f"{measure}/period/end"
    doc.period(
        period,
        f"Période de continuité de traitement de {med.name} (un an)",
        f"Period of the {med.name} treatment continuity (one year)",
        [doc.cite("sec_II", continuity)],
        start=p_start,
        end=p_end,
        duration="P1Y",
    )
    doc.time_point(
        p_start,
        f"Début de la continuité de traitement de {med.name} : {_fr(cont_start)} (déduit)",
        f"Start of the {med.name} treatment continuity: {_en(cont_start)} (derived)",
        "DateDerived",
        [doc.cite("sec_II", from_stop), doc.cite("sec_I", between)],
        day=cont_start,
        relative_to=aap.end_iri,
        offset="P1D",
    )
    doc.time_point(
        p_end,
        f"Fin de la continuité de traitement de {med.name} : {_fr(cont_end)}",
        f"End of the {med.name} treatment continuity: {_en(cont_end)}",
        "DateStated",
        [doc.cite("sec_II", until), doc.cite("summary_table", benefit)],
        day=cont_end,
    )
    yield doc.written()
    return _NoteState(doc_iri, day, st["number"], relative, measure, cont_end, p_end)


def _free_supply_note(
    corpus: _Corpus, rng: random.Random, n: int, aap: _AapState, prev: _NoteState
) -> Generator[_Written, None, _NoteState]:
    med, company = aap.med, aap.med.company.text
    day = prev.end - timedelta(days=rng.randint(10, 60))
    day = max(day, prev.day + timedelta(days=15))
    months = rng.choice((6, 12))
    start = prev.end + timedelta(days=1)
    end = _last_day(start, months)
    first = "continuity" in prev.measure
    cont_start = aap.end + timedelta(days=1)
    relative = (
        "relative à la mise à jour des modalités de continuité de traitement des patients traités par la spécialité "
        f"pharmaceutique {med.full} {med.paren}"
    )
    objet = (
        "Mise à jour des modalités de continuité de traitement des patients traités par la spécialité "
        f"pharmaceutique {med.full} {med.paren}."
    )
    until_prev = f"jusqu'au {_fr(prev.end)}"
    if first:
        summary = (
            f"La spécialité {med.name} ({med.inn}) bénéficie {until_prev} d'une prise en charge au titre de la "
            "continuité de traitement en fin d'autorisation d'accès précoce. Cette note précise les conditions de "
            "prise "
            "en charge des poursuites de traitement à compter de cette date."
        )
    else:
        summary = (
            f"La spécialité {med.name} ({med.inn}) est mise à disposition à titre gracieux {until_prev}. Cette note "
            "précise les modalités de sa prolongation."
        )
    previous = f"la note d'information interministérielle n° {prev.number} du {_fr(prev.day)}"
    references = [
        "- Articles L. 162-16-5-1 et L. 162-16-5-4 du code de la sécurité sociale ;",
        f"- Note d'information interministérielle n° {prev.number} du {_fr(prev.day)} {prev.title}.",
    ]
    preamble = f"La présente note met à jour les informations de {previous} {prev.title}."
    if first:
        context = (
            f"Comme indiqué dans {previous}, la continuité des traitements initiés avant le {_fr(cont_start)} par "
            f"{med.name} au titre de l'indication concernée est assurée par le laboratoire {company} {until_prev}."
        )
        heading = (
            f"II. Décision du laboratoire qui assure l'exploitation de {med.name} de prolonger la continuité des "
            "traitements à titre gracieux"
        )
    else:
        context = (
            f"Comme indiqué dans {previous}, le laboratoire {company} assure une mise à disposition de {med.name} à "
            f"titre gracieux {until_prev}."
        )
        heading = (
            f"II. Décision du laboratoire qui assure l'exploitation de {med.name} de prolonger la mise à disposition "
            "à titre gracieux"
        )
    extra_months = f"pendant {months} mois supplémentaires"
    decided = (
        "Afin de ne pas interrompre le traitement des patients qui en tirent un bénéfice, le laboratoire "
        f"{company} a pris la décision d'assurer une mise à disposition de {med.name} à titre gracieux {extra_months}"
    )
    needing = "pour les patients nécessitant la poursuite de leur traitement"
    initiated = f"dès lors qu'il a été initié au titre de l'accès précoce avant le {_fr(cont_start)}"
    until_end = f"jusqu'au {_fr(end)}"
    permitted = f"Pour ce faire, il est permis à titre exceptionnel {until_end}"
    permission_sentence = (
        f"{permitted}, la fourniture, l'achat et l'utilisation de {med.name} par les établissements de santé dans "
        "l'indication de l'autorisation de l'accès précoce sans que cette spécialité ne figure sur la liste mentionnée "
        "à l'article L. 5123-2 du code de la santé publique ou au 1° de l'article L. 5126-6 du code de la santé "
        "publique."
    )
    retrocession = "Il peut être rétrocédé par les pharmacies à usage intérieur autorisées à la vente au public."
    body = [
        "I. Contexte",
        "",
        context,
        "",
        heading,
        "",
        f"{decided}, {needing} {initiated}.",
        "",
        f"{permission_sentence} {retrocession}",
    ]
    keywords = f"{med.name} - {_cap(med.inn)} - Continuité de traitement - Mise à disposition à titre gracieux."
    lines, st = _note_frame(corpus, rng, n, day, relative, objet, summary, references, preamble, body, keywords)
    stem = _stem(n, "dgos-dss", day, "free-supply-note", med.slug)
    doc_iri = f"{_ID}eli/dgos-dss/note/{day.year}/{day.month:02d}/{day.day:02d}/{day.year}-synth-{n:05d}"
    doc = _Doc(corpus, n, "free-supply-note", stem, doc_iri, lines)
    parts = ["header", "summary_table", "preamble", "sec_I", "sec_II", "signatures"]
    cites = [*_NOTE_CITES, prev.doc, *_DEROGATIONS]
    _note_document(doc, st, day, med, relative, parts, cites, prev.doc, [doc.cite("preamble", preamble)])
    doc.ttl.section("what the note reports and establishes")
    doc.cite_only(med.iri, "header", f"{med.full} {med.paren}")
    doc.company(med.company, "sec_II", f"le laboratoire {company} a pris la décision")
    doc.cite_only(prev.measure, "sec_I", context, extra=[("rk:reportedIn", _i(doc_iri))])
    measure = f"{_ID}measure/{med.slug}-free-supply-{n:06d}"
    cond_start, cond_need = f"{measure}/condition/treatment-start", f"{measure}/condition/continuation-needed"
    perm, retro = f"{measure}/permission/establishments", f"{measure}/permission/retrocession"
    doc.node(
        measure,
        ("a", "rk:AccessMeasure"),
        (
            "rdfs:label",
            _labels(
                f"Mise à disposition gracieuse (fictive) de {med.name} {extra_months}",
                f"Fictitious free-of-charge supply of {med.name} for {months} further months",
            ),
        ),
        ("rk:framework", _i("framework/free-supply")),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:decidedBy", _i(med.company.iri)),
        ("rk:follows", _i(prev.measure)),
        ("rk:reportedIn", _i(doc_iri)),
        ("rk:hasIndication", _i(aap.indication.iri)),
        ("rk:hasCondition", [_i(cond_start), _i(cond_need)]),
        ("rk:hasPermission", [_i(perm), _i(retro)]),
        ("rk:validity", _i(f"{measure}/period")),
        ("rk:citation", [doc.cite("sec_II", decided), doc.cite("sec_II", heading)]),
    )
    doc.node(
        cond_start,
        ("a", "rk:TreatmentStartCondition"),
        (
            "rdfs:label",
            _labels(
                f"Traitement initié au titre de l'accès précoce avant le {_fr(cont_start)}",
                f"Treatment initiated under the early access before {_en(cont_start)}",
            ),
        ),
        ("rk:beforeDate", _d(cont_start)),
        ("rk:initiatedUnder", _i(aap.measure)),
        ("rk:citation", doc.cite("sec_II", initiated)),
    )
    doc.node(
        cond_need,
        ("a", "rk:ClinicalCondition"),
        (
            "rdfs:label",
            _labels(
                "Patients nécessitant la poursuite de leur traitement", "Patients who need to continue their treatment"
            ),
        ),
        ("rk:citation", doc.cite("sec_II", needing)),
    )
    period, p_start, p_end = f"{measure}/period", f"{measure}/period/start", f"{measure}/period/end"
    doc.period(
        period,
        f"Période de la mise à disposition gracieuse de {med.name} ({months} mois)",
        f"Period of the free-of-charge supply of {med.name} ({months} months)",
        [doc.cite("sec_II", extra_months)],
        start=p_start,
        end=p_end,
        duration=f"P{months}M",
    )
    doc.time_point(
        p_start,
        f"Début de la mise à disposition gracieuse de {med.name} : {_fr(start)} (déduit)",
        f"Start of the free-of-charge supply of {med.name}: {_en(start)} (derived)",
        "DateDerived",
        [doc.cite("sec_I", until_prev), doc.cite("sec_II", extra_months)],
        day=start,
        relative_to=prev.end_iri,
        offset="P1D",
    )
    doc.time_point(
        p_end,
        f"Fin de la mise à disposition gracieuse de {med.name} : {_fr(end)} (déduit)",
        f"End of the free-of-charge supply of {med.name}: {_en(end)} (derived)",
        "DateDerived",
        [doc.cite("sec_II", extra_months), doc.cite("sec_II", until_end)],
        day=end,
    )
    doc.node(
        perm,
        ("a", "rk:Permission"),
        (
            "rdfs:label",
            _labels(
                f"Fourniture, achat et utilisation de {med.name} par les établissements de santé hors listes",
                f"Supply, purchase and use of {med.name} by health establishments without listing",
            ),
        ),
        ("rk:grantedTo", _i("actors/health-establishments")),
        ("rk:permittedActivity", [_i("activity/supply"), _i("activity/purchase"), _i("activity/use")]),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:hasIndication", _i(aap.indication.iri)),
        ("rk:derogatesFrom", [_i(d) for d in _DEROGATIONS]),
        ("rk:establishedBy", _i(doc_iri)),
        ("rk:validity", _i(f"{perm}/period")),
        ("rk:citation", doc.cite("sec_II", permission_sentence)),
    )
    doc.period(
        f"{perm}/period",
        f"Période de la dérogation accordée aux établissements de santé ({until_end})",
        f"Period of the derogation granted to health establishments (until {_en(end)})",
        [doc.cite("sec_II", permitted)],
        start=f"{perm}/period/start",
        end=f"{perm}/period/end",
    )
    doc.time_point(
        f"{perm}/period/start",
        "Début de la dérogation accordée aux établissements de santé (non précisé)",
        "Start of the derogation granted to health establishments (not stated)",
        "DateUnknown",
        [doc.cite("sec_II", permitted)],
    )
    doc.time_point(
        f"{perm}/period/end",
        f"Fin de la dérogation accordée aux établissements de santé : {_fr(end)}",
        f"End of the derogation granted to health establishments: {_en(end)}",
        "DateStated",
        [doc.cite("sec_II", until_end)],
        day=end,
    )
    doc.node(
        retro,
        ("a", "rk:Permission"),
        (
            "rdfs:label",
            _labels(
                f"Rétrocession de {med.name} par les PUI autorisées à la vente au public",
                f"Retrocession of {med.name} by hospital pharmacies authorised to sell to the public",
            ),
        ),
        ("rk:grantedTo", _i("actors/pui-public-sale")),
        ("rk:permittedActivity", _i("activity/retrocession")),
        ("rk:concernsProduct", _i(med.iri)),
        ("rk:establishedBy", _i(doc_iri)),
        ("rk:citation", doc.cite("sec_II", retrocession)),
    )
    yield doc.written()
    return _NoteState(doc_iri, day, st["number"], relative, measure, end, p_end)


# ============================================================================ reference data


def _vocabulary(corpus: _Corpus) -> _Turtle:
    ttl = _Turtle(
        f"{FICTION_LINE}: synthetic reference data generated by regkg synth (seed {corpus.seed}): fictitious boards "
        "and networks, pharmacovigilance centres, treatments, imaging modalities and a publication channel."
    )
    ttl.section("clinical networks and national boards (fictitious)")
    for name in corpus.networks:
        ttl.node(
            _i(f"{_ID}network/{_slug(name)}"),
            ("a", "rk:ClinicalNetwork"),
            ("rdfs:label", _labels(f"Réseau national {name} (fictif)", f"{name} national network (fictitious)")),
            ("skos:altLabel", _s(name.upper())),
        )
    for board in corpus.boards:
        name = board.text.removeprefix("RCP nationale ")
        ttl.node(
            _i(board.iri),
            ("a", "rk:MultidisciplinaryBoard"),
            ("rdfs:label", _labels(board.label, f"{name} national board (fictitious)")),
            ("skos:altLabel", [_s(name), _s(name.upper())]),
            ("rdfs:comment", _s("Fictitious board invented by regkg synth.", "en")),
            ("rk:partOfNetwork", _i(board.network) if board.network else None),
        )
    ttl.section("pharmacovigilance centres named by the synthetic texts")
    for iri, full, short, city in _CRPVS:
        if iri.startswith(_ID):
            ttl.node(
                _i(iri),
                ("a", "rk:PublicBody"),
                (
                    "rdfs:label",
                    _labels(
                        f"Centre régional de pharmacovigilance (CRPV) de {city}",
                        f"{city} Regional Pharmacovigilance Centre (CRPV)",
                    ),
                ),
                ("skos:altLabel", _s(short)),
                ("rdfs:comment", _s(f"Named by synthetic texts only ({full}).", "en")),
            )
    ttl.section("treatments and imaging modalities")
    for t in (*_TREATMENTS, _LOCAL, *_LOCAL_NARROWER):
        ttl.node(
            _i(t.iri),
            ("a", "rk:Treatment"),
            ("rdfs:label", _labels(_cap(t.fr), _cap(t.en))),
            ("skos:broader", _i(t.broader) if t.broader else None),
        )
    for m in _MODALITIES:
        if m.synthetic:
            ttl.node(_i(m.iri), ("a", "rk:ImagingModality"), ("rdfs:label", _labels(m.fr_label, m.en)))
    ttl.node(
        _i(_HAS_BO),
        ("a", "rk:PublicationChannel"),
        ("rdfs:label", _labels("Bulletin officiel de la Haute Autorité de santé", "HAS official bulletin")),
    )
    ttl.node(
        _i(_HAS_WEBSITE),
        ("a", "rk:PublicationChannel"),
        ("rdfs:label", _labels("Site internet de la Haute Autorité de santé", "HAS website")),
    )
    return ttl


def _parties(corpus: _Corpus) -> _Turtle:
    ttl = _Turtle(
        f"{FICTION_LINE}: fictitious companies and people named by the synthetic texts (seed {corpus.seed}); "
        "each is cited by the texts that name it."
    )
    for company in corpus.companies:
        if company.iri in corpus.used_companies:
            ttl.node(
                _i(company.iri),
                ("a", "rk:Company"),
                ("rdfs:label", _labels(f"{company.label} (fictif)", f"{company.label} (fictitious)")),
                ("skos:altLabel", _s(company.text)),
            )
    for people in corpus.people.values():
        for person in people:
            if person.iri in corpus.used_people:
                ttl.node(
                    _i(person.iri),
                    ("a", "rk:Person"),
                    ("rdfs:label", _labels(person.label, person.label)),
                    ("skos:altLabel", _s(person.text)),
                    ("rdfs:comment", _s("Fictitious person invented by regkg synth.", "en")),
                )
    return ttl


# ============================================================================ the corpus


_STORIES: dict[str, Callable[[_Corpus, random.Random, Callable[[], int]], Iterator[_Written]]] = {
    "cpc": _cpc_story,
    "aap": _aap_story,
    "aac": _aac_story,
}
_FIRST_STORIES = ("cpc", "aap", "aac")
_STORY_WEIGHTS = (("cpc", 4), ("aap", 4), ("aac", 2))
_LANES = 3


def _texts(corpus: _Corpus) -> Iterator[_Written]:
    """The endless, deterministic sequence of synthetic texts: storylines interleaved round-robin."""
    counter = iter(range(1, 1 << 62))
    story_count = 0
    master = random.Random(f"regkg-synth:{corpus.seed}:stories")
    kinds = [k for k, w in _STORY_WEIGHTS for _ in range(w)]

    def new_story() -> Iterator[_Written]:
        nonlocal story_count
        kind = _FIRST_STORIES[story_count] if story_count < len(_FIRST_STORIES) else master.choice(kinds)
        rng = random.Random(f"regkg-synth:{corpus.seed}:story:{story_count}")
        story_count += 1
        return _STORIES[kind](corpus, rng, lambda: next(counter))

    lanes = [new_story() for _ in range(_LANES)]
    lane = 0
    while True:
        try:
            yield next(lanes[lane])
        except StopIteration:
            lanes[lane] = new_story()
            continue
        lane = (lane + 1) % _LANES


def _is_synthetic(name: str) -> bool:
    return name.startswith((SYNTH_PREFIX, REFERENCE_PREFIX))


def _prepare(out_root: Path, project_root: Path, allow_real: bool) -> tuple[str, ...]:
    """Refuse a root with real texts (unless allowed), clear earlier synthetic files, copy the project."""
    documents = out_root / "data" / "documents"
    real = sorted(p.name for p in documents.glob("*.ttl") if not _is_synthetic(p.name)) if documents.is_dir() else []
    if real and not allow_real:
        raise SynthError(
            f"{out_root} holds non-synthetic documents ({', '.join(real[:3])}{'…' if len(real) > 3 else ''}); "
            "write the synthetic corpus into a fresh directory, or allow mixing it with real texts explicitly"
        )
    for sub, pattern in (("documents", "*.ttl"), ("sources", "*.txt"), ("reference", "*.ttl")):
        folder = out_root / "data" / sub
        if folder.is_dir():
            for path in sorted(folder.glob(pattern)):
                if _is_synthetic(path.name):
                    path.unlink()
    copied: list[str] = []
    if out_root.resolve() != project_root.resolve():
        for name in ("ontology", "queries"):
            if (project_root / name).is_dir():
                shutil.copytree(project_root / name, out_root / name, dirs_exist_ok=True)
                copied.append(f"{name}/")
        reference = out_root / "data" / "reference"
        reference.mkdir(parents=True, exist_ok=True)
        for path in sorted((project_root / "data" / "reference").glob("*.ttl")):
            if not _is_synthetic(path.name):
                shutil.copyfile(path, reference / path.name)
        copied.append("data/reference/")
    for sub in ("documents", "sources", "reference"):
        (out_root / "data" / sub).mkdir(parents=True, exist_ok=True)
    return tuple(copied)


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def synthesize(
    out_root: Path,
    decisions: int,
    seed: int,
    *,
    project_root: Path | None = None,
    allow_real: bool = False,
) -> SynthSummary:
    """Write ``decisions`` fictitious texts (sources and Turtle) and their reference data under ``out_root``.

    ``out_root`` becomes a buildable project root (``REGKG_HOME=out_root regkg build``): the
    ontology, the saved queries and the real reference data are copied from ``project_root``
    (default: the project this package belongs to) unless it *is* that root. Earlier synthetic
    files there are removed first, so the output depends only on ``(decisions, seed)``. A root
    holding real documents is refused unless ``allow_real`` (then the synthetic texts are added
    beside them). Raises :class:`SynthError` for a negative count or a refused root.
    """
    if decisions < 0:
        raise SynthError(f"the number of decisions must be 0 or more, got {decisions}")
    if project_root is None:
        from .settings import find_project_root

        project_root = find_project_root(Path(__file__).parent)
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    copied = _prepare(out_root, project_root, allow_real)
    corpus = _Corpus(seed)
    documents, sources = out_root / "data" / "documents", out_root / "data" / "sources"
    kinds: dict[str, int] = {}
    triples = size = files = 0
    texts = _texts(corpus)
    for _ in range(decisions):
        written = next(texts)
        size += _write(sources / f"{written.stem}.txt", written.text)
        size += _write(documents / f"{written.stem}.ttl", written.turtle)
        triples += written.triples
        files += 2
        kinds[written.kind] = kinds.get(written.kind, 0) + 1
    references = []
    for name, ttl in (("synthetic-vocabulary.ttl", _vocabulary(corpus)), ("synthetic-parties.ttl", _parties(corpus))):
        size += _write(out_root / "data" / "reference" / name, ttl.text())
        triples += ttl.triples
        files += 1
        references.append(f"data/reference/{name}")
    return SynthSummary(
        root=out_root,
        seed=seed,
        documents=decisions,
        kinds=dict(sorted(kinds.items())),
        files=files,
        triples=triples,
        bytes=size,
        reference_files=tuple(references),
        copied=copied,
    )
