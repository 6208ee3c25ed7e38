"""Benchmark data: a deterministic synthetic graph in the project's model, plus the real data.

The synthetic part (about 100k triples by default) follows the shapes of data/documents/*.ttl:
medicines and companies; decisions and notes with their provisions, date, emitter and the texts
they cite or update; access measures with a framework, indications (with clinical, prior-treatment
and board-proposal conditions), obligations, a validity period (time:hasBeginning/time:hasEnd,
time:inXSDDate), and citations (oa:hasSource, rk:provision, oa:hasSelector/oa:exact) on each fact.
It reuses the real reference IRIs (frameworks, authorities, boards, code articles, vocabularies),
so queries join synthetic and real facts. Every triple sits in exactly one named graph: reference
entities in graph/synthetic-reference, each document in the graph of its emitter. There are no
blank nodes (citations and selectors get skolem-style IRIs), so results compare across servers.

The real part is the project's store: `regkg build --store bench/out/real-store`, then
`regkg export --format nquads`.

Outputs in bench/out/: synthetic.nq, real.nq, data.nq (both), data.json (counts and digest).
Run: .venv/bin/python bench/http/make_data.py [--triples N]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
SEED = 20_261_123
DEFAULT_TRIPLES = 100_000

ID = "https://w3id.org/regkg/id/"
RK = "https://w3id.org/regkg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ELI = "http://data.europa.eu/eli/ontology#"
OA = "http://www.w3.org/ns/oa#"
TIME = "http://www.w3.org/2006/time#"
GENID = ID + ".well-known/genid/"

GRAPH_REFERENCE = ID + "graph/synthetic-reference"

# Product names: prefix x suffix, enumerated (unique by construction), then shuffled.
NAME_PREFIXES = ["Zor", "Lum", "Ther", "Onc", "Vel", "Kar", "Nex", "Pral", "Tam", "Rib", "Sol", "Dax", "Fen", "Gal"]
NAME_SUFFIXES = ["ivex", "abine", "onix", "eluma", "atrex", "imab", "orin", "ysta", "enza", "ocap", "umab", "iflo"]
FORMS = [
    ("comprimé pelliculé", "film-coated tablet"),
    ("solution pour perfusion", "solution for infusion"),
    ("gélule", "capsule"),
    ("poudre pour solution injectable", "powder for solution for injection"),
]
STRENGTHS = ["10 mg", "25 mg", "40 mg", "100 mg", "120 mg", "250 mg", "370 MBq/mL", "1 g"]

DISEASES = [
    ("tumeur neuroendocrine pancréatique", "pancreatic neuroendocrine tumour"),
    ("tumeur neuroendocrine de l'intestin grêle", "small-intestine neuroendocrine tumour"),
    ("carcinome hépatocellulaire", "hepatocellular carcinoma"),
    ("mélanome", "melanoma"),
    ("cancer bronchique non à petites cellules", "non-small-cell lung cancer"),
    ("lymphome diffus à grandes cellules B", "diffuse large B-cell lymphoma"),
    ("myélome multiple", "multiple myeloma"),
    ("leucémie aiguë myéloïde", "acute myeloid leukaemia"),
    ("glioblastome", "glioblastoma"),
    ("méningiome", "meningioma"),
    ("paragangliome", "paraganglioma"),
    ("carcinome urothélial", "urothelial carcinoma"),
    ("cancer colorectal", "colorectal cancer"),
    ("amylose à transthyrétine", "transthyretin amyloidosis"),
    ("atrophie musculaire spinale", "spinal muscular atrophy"),
    ("mucoviscidose", "cystic fibrosis"),
]
STAGES = [
    ("métastatique", "metastatic"),
    ("localement avancé inopérable", "locally advanced inoperable"),
    ("réfractaire", "refractory"),
    ("en rechute", "relapsed"),
    ("progressif", "progressive"),
]
POPULATIONS = [
    ("patients adultes", "adult patients"),
    ("enfants de 6 ans et plus", "children aged 6 and over"),
    ("patients de 12 ans et plus", "patients aged 12 and over"),
]

# (framework, emitter key, emitter IRIs, document class, graph key, durations in months)
KINDS = [
    ("cpc", "ansm", ["org/ansm"], "Decision", "ansm", [36]),
    ("aac", "ansm", ["org/ansm"], "Decision", "ansm", [12]),
    ("rtu", "ansm", ["org/ansm"], "Decision", "ansm", [36]),
    ("atu", "ansm", ["org/ansm"], "Decision", "ansm", [12]),
    ("aap-pre-amm", "has", ["org/has"], "Decision", "has", [12, 18]),
    ("aap-post-amm", "has", ["org/has"], "Decision", "has", [12, 18]),
    ("continuity", "dgos-dss", ["org/ministry-health", "org/dgos", "org/dss"], "InformationNote", "dgos-dss", [12]),
    ("free-supply", "dgos-dss", ["org/ministry-health", "org/dgos", "org/dss"], "InformationNote", "dgos-dss", [12]),
]
LEGAL_BASES = [
    "eli/code/csp/L5121-12",
    "eli/code/csp/L5121-12-1",
    "eli/code/csp/L5121-12-1/II",
    "eli/code/csp/L5121-12-1/III",
    "eli/code/csp/L5121-14-3",
    "eli/code/csp/R5121-76-1",
    "eli/code/css/L162-16-5-1",
    "eli/code/css/L162-16-5-4",
    "eli/code/css/L162-17",
]
REAL_BOARDS = ["board/comete", "board/renaten", "board/omega"]
TREATMENTS = [
    "treatment/mibg-i131",
    "treatment/everolimus",
    "treatment/surgery",
    "treatment/radiotherapy",
    "treatment/systemic-line",
]
OUTCOMES = ["outcome/failure", "outcome/contraindication", "outcome/impossible", "outcome/progression"]
OBLIGATIONS = [
    (
        "ImplementationObligation",
        "Mise en place du dispositif par le laboratoire",
        "Set-up of the scheme by the company",
        "Le laboratoire met en place le suivi des patients traités par {name}.",
    ),
    (
        "PharmacovigilanceObligation",
        "Suivi national de pharmacovigilance",
        "National pharmacovigilance follow-up",
        "Le suivi national de pharmacovigilance de {name} est assuré par le CRPV désigné.",
    ),
    (
        "ReportingObligation",
        "Rapport de synthèse périodique",
        "Periodic synthesis report",
        "Un rapport de synthèse sur {name} est transmis tous les six mois à l'ANSM.",
    ),
    (
        "PublicationObligation",
        "Publication du résumé des rapports",
        "Publication of the report summary",
        "Le résumé du rapport de synthèse relatif à {name} est publié sur le site internet de l'ANSM.",
    ),
    (
        "InformationObligation",
        "Information des prescripteurs",
        "Information of prescribers",
        "Le laboratoire informe les prescripteurs des conditions d'utilisation de {name}.",
    ),
]
RECIPIENTS = ["org/ansm", "org/crpv-poitiers", "org/has", "org/cnam"]
DURATIONS = {6: "P6M", 12: "P1Y", 18: "P18M", 36: "P3Y"}
FIRST_DAY, LAST_DAY = date(2015, 1, 5), date(2026, 6, 30)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]  # not %B: that depends on the locale
MEDICINES, COMPANIES, BOARDS = 160, 30, 24


@functools.cache
def _names() -> list[str]:
    names = [p + s for s in NAME_SUFFIXES for p in NAME_PREFIXES]
    random.Random(SEED).shuffle(names)
    return names


def medicine_name(index: int) -> str:
    """The product name of synthetic medicine `index` (stable: queries use it)."""
    return _names()[index]


def board_iri(index: int) -> str:
    return f"{ID}board/syn-{index:02d}"


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    return date(day.year + month0 // 12, month0 % 12 + 1, min(day.day, 28))


@dataclass
class Graphs:
    """Quads in generation order, with one graph per emitter plus the reference graph."""

    quads: list[ox.Quad] = field(default_factory=list)
    genid: int = 0

    @staticmethod
    def node(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri if iri.startswith(("http://", "https://")) else ID + iri)

    def add(self, graph: str, s: str, p: str, o: str | ox.Literal) -> None:
        obj = o if isinstance(o, ox.Literal) else self.node(o)
        self.quads.append(ox.Quad(self.node(s), ox.NamedNode(p), obj, ox.NamedNode(graph)))

    def labels(self, graph: str, s: str, fr: str, en: str) -> None:
        self.add(graph, s, RDFS + "label", ox.Literal(fr, language="fr"))
        self.add(graph, s, RDFS + "label", ox.Literal(en, language="en"))

    def cite(self, graph: str, s: str, document: str, provision: str, quote: str) -> None:
        """A citation on `s`: source document, provision, and the verbatim words."""
        self.genid += 1
        citation, selector = f"{GENID}syn-c{self.genid:06d}", f"{GENID}syn-s{self.genid:06d}"
        self.add(graph, s, RK + "citation", citation)
        self.add(graph, citation, RDF + "type", RK + "Citation")
        self.add(graph, citation, OA + "hasSource", document)
        self.add(graph, citation, RK + "provision", provision)
        self.add(graph, citation, OA + "hasSelector", selector)
        self.add(graph, selector, RDF + "type", OA + "TextQuoteSelector")
        self.add(graph, selector, OA + "exact", ox.Literal(quote))


def _literal_date(day: date) -> ox.Literal:
    return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))


def _literal_duration(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + "duration"))


def _reference(g: Graphs, rng: random.Random) -> None:
    ref = GRAPH_REFERENCE
    for c in range(COMPANIES):
        iri = f"org/syn-company-{c:02d}"
        name = f"Laboratoires Synthétiques {c:02d}"
        g.add(ref, iri, RDF + "type", RK + "Company")
        g.labels(ref, iri, name, f"Synthetic Laboratories {c:02d}")
        g.add(ref, iri, SKOS + "altLabel", ox.Literal(f"LS{c:02d}"))
    for b in range(BOARDS):
        iri = board_iri(b)
        g.add(ref, iri, RDF + "type", RK + "MultidisciplinaryBoard")
        g.labels(ref, iri, f"RCP nationale Synthèse {b:02d}", f"Synthesis {b:02d} national tumour board")
        g.add(ref, iri, SKOS + "altLabel", ox.Literal(f"SYN{b:02d}"))
        g.add(ref, iri, RK + "partOfNetwork", "network/endocan")
    for m in range(MEDICINES):
        iri, name = f"medicine/syn-{m:03d}", medicine_name(m)
        form_fr, form_en = rng.choice(FORMS)
        strength = rng.choice(STRENGTHS)
        g.add(ref, iri, RDF + "type", RK + "MedicinalProduct")
        g.labels(ref, iri, f"{name} {strength}, {form_fr}", f"{name} {strength}, {form_en}")
        g.add(ref, iri, SKOS + "altLabel", ox.Literal(name))
        g.add(ref, iri, RK + "productName", ox.Literal(name))
        g.add(ref, iri, RK + "strength", ox.Literal(strength))
        g.add(ref, iri, RK + "pharmaceuticalForm", ox.Literal(form_fr, language="fr"))
        g.add(ref, iri, RK + "exploitedBy", f"org/syn-company-{m % COMPANIES:02d}")
        g.add(ref, iri, RK + "atcCode", ox.Literal(f"L01X{chr(65 + m % 26)}{m % 100:02d}"))


def _document(
    g: Graphs, rng: random.Random, k: int, medicine: int, day: date, previous: tuple[str, str] | None
) -> tuple[str, str]:
    """One document establishing one access measure; returns (document IRI, measure IRI)."""
    framework, emitter_key, emitters, doc_class, graph_key, durations = rng.choice(KINDS)
    graph = f"{ID}graph/synthetic-{graph_key}"
    name = medicine_name(medicine)
    med = f"medicine/syn-{medicine:03d}"
    doc = f"eli/{emitter_key}/{doc_class.lower()}/{day:%Y/%m/%d}/syn-{k:04d}"
    kind_fr = "Décision" if doc_class == "Decision" else "Note d'information"
    kind_en = "Decision" if doc_class == "Decision" else "Information note"
    g.add(graph, doc, RDF + "type", RK + doc_class)
    g.labels(
        graph,
        doc,
        f"{kind_fr} du {day:%d/%m/%Y} relative à {name} ({framework.upper()})",
        f"{kind_en} of {day.day} {MONTHS[day.month - 1]} {day.year} on {name} ({framework.upper()})",
    )
    g.add(graph, doc, ELI + "date_document", _literal_date(day))
    g.add(graph, doc, RK + "sourceFile", ox.Literal(f"syn-{k:04d}.txt"))
    g.add(graph, doc, ELI + "passed_by", emitters[0])
    for emitter in emitters:
        g.add(graph, doc, RK + "emitter", emitter)
    bases = rng.sample(LEGAL_BASES, 2)
    for base in bases:
        g.add(graph, doc, ELI + "based_on", base)
        g.add(graph, doc, ELI + "cites", base)
    g.add(graph, doc, RK + "concernsProduct", med)
    g.add(graph, doc, RK + "publicationChannel", "channel/bo" if graph_key == "dgos-dss" else "channel/ansm-website")
    if previous is not None:
        g.add(graph, doc, RK + "updates", previous[0])
        g.add(graph, doc, ELI + "cites", previous[0])
    provisions = [f"{doc}/visa", *(f"{doc}/art_{n}" for n in range(1, 5))]
    for seq, prov in enumerate(provisions):
        g.add(graph, doc, ELI + "has_part", prov)
        g.add(graph, prov, RDF + "type", RK + ("Visa" if seq == 0 else "Article"))
        g.labels(
            graph, prov, "Visas" if seq == 0 else f"Article {seq}", "Legal basis" if seq == 0 else f"Article {seq}"
        )
        g.add(graph, prov, RK + "provisionNumber", ox.Literal("Vu" if seq == 0 else str(seq)))
        g.add(graph, prov, RK + "sequence", ox.Literal(seq))
        g.add(graph, prov, ELI + "is_part_of", doc)

    measure = f"measure/syn-{k:04d}"
    fw_fr = {"cpc": "Cadre de prescription compassionnelle", "aac": "Accès compassionnel"}.get(framework, "Accès")
    g.add(graph, measure, RDF + "type", RK + "AccessMeasure")
    g.labels(
        graph,
        measure,
        f"{fw_fr} {framework.upper()} de {name} ({day.year})",
        f"{framework.upper()} access measure for {name} ({day.year})",
    )
    g.add(graph, measure, RK + "framework", f"framework/{framework}")
    g.add(graph, measure, RK + "concernsProduct", med)
    g.add(graph, measure, RK + "establishedBy", doc)
    g.add(graph, measure, RK + "decidedBy", emitters[0])
    g.add(graph, measure, RK + "legalBasis", bases[0])
    g.add(graph, measure, RK + "responsibleParty", f"org/syn-company-{medicine % COMPANIES:02d}")
    if previous is not None:
        g.add(graph, measure, RK + "follows", previous[1])
    g.cite(
        graph,
        measure,
        doc,
        provisions[1],
        f"Un dispositif {framework.upper()} est établi pour le médicament {name}, à compter du {day:%d/%m/%Y}.",
    )

    for i in range(1, rng.choice((1, 2, 2, 3)) + 1):
        disease_fr, disease_en = rng.choice(DISEASES)
        stage_fr, stage_en = rng.choice(STAGES)
        pop_fr, pop_en = rng.choice(POPULATIONS)
        ind = f"{measure}/indication/{i}"
        label_fr = f"{disease_fr.capitalize()} {stage_fr} chez les {pop_fr}"
        g.add(graph, measure, RK + "hasIndication", ind)
        g.add(graph, ind, RDF + "type", RK + "TherapeuticIndication")
        g.labels(graph, ind, label_fr, f"{stage_en.capitalize()} {disease_en} in {pop_en}")
        g.add(graph, ind, SKOS + "altLabel", ox.Literal(disease_fr))
        g.add(graph, ind, SKOS + "altLabel", ox.Literal(disease_en))
        g.add(graph, ind, RK + "sequence", ox.Literal(i))
        g.cite(graph, ind, doc, provisions[1], f"{label_fr}, sous réserve des conditions ci-après.")
        clinical = f"{ind}/condition/clinical"
        g.add(graph, ind, RK + "hasCondition", clinical)
        g.add(graph, clinical, RDF + "type", RK + "ClinicalCondition")
        g.labels(graph, clinical, f"{disease_fr.capitalize()} {stage_fr}", f"{stage_en.capitalize()} {disease_en}")
        g.cite(graph, clinical, doc, provisions[1], f"{disease_fr} {stage_fr}")
        if rng.random() < 0.6:
            prior = f"{ind}/condition/prior-treatment"
            treatment = rng.choice(TREATMENTS)
            g.add(graph, ind, RK + "hasCondition", prior)
            g.add(graph, prior, RDF + "type", RK + "PriorTreatmentCondition")
            g.labels(
                graph,
                prior,
                "Échec ou contre-indication d'un traitement antérieur",
                "Failure of, or contraindication to, a prior treatment",
            )
            g.add(graph, prior, RK + "priorTreatment", treatment)
            for outcome in rng.sample(OUTCOMES, 2):
                g.add(graph, prior, RK + "acceptedOutcome", outcome)
            g.cite(graph, prior, doc, provisions[1], "après échec ou contre-indication d'un traitement antérieur")
        if rng.random() < 0.5:
            board = rng.choice(REAL_BOARDS) if rng.random() < 0.2 else board_iri(rng.randrange(BOARDS))
            proposal = f"{ind}/condition/board-proposal"
            g.add(graph, ind, RK + "hasCondition", proposal)
            g.add(graph, proposal, RDF + "type", RK + "BoardProposalCondition")
            g.labels(graph, proposal, "Proposition de la RCP nationale", "Proposal by the national tumour board")
            g.add(graph, proposal, RK + "board", board)
            g.cite(graph, proposal, doc, provisions[1], "sur proposition de la RCP nationale compétente")

    for o, (cls, label_fr, label_en, quote) in enumerate(rng.sample(OBLIGATIONS, rng.choice((2, 3, 3, 4))), 1):
        obligation = f"{measure}/obligation/{o}"
        g.add(graph, measure, RK + "hasObligation", obligation)
        g.add(graph, obligation, RDF + "type", RK + cls)
        g.labels(graph, obligation, f"{label_fr} ({name})", f"{label_en} ({name})")
        g.add(graph, obligation, RK + "responsibleParty", f"org/syn-company-{medicine % COMPANIES:02d}")
        g.add(graph, obligation, RK + "recipient", rng.choice(RECIPIENTS))
        if cls == "ReportingObligation":
            g.add(graph, obligation, RK + "frequency", _literal_duration("P6M"))
        else:
            g.add(graph, obligation, RK + "maximumDelay", _literal_duration(rng.choice(("P15D", "P1M", "P2M"))))
        g.cite(graph, obligation, doc, provisions[2 + o % 3], quote.format(name=name))

    months = rng.choice(durations)
    start = day + timedelta(days=1)
    end = _add_months(start, months) - timedelta(days=1)
    period = f"{measure}/period"
    g.add(graph, measure, RK + "validity", period)
    g.add(graph, period, RDF + "type", RK + "ValidityPeriod")
    g.labels(
        graph,
        period,
        f"Période de validité ({name}, {framework.upper()})",
        f"Validity period ({name}, {framework.upper()})",
    )
    g.add(graph, period, TIME + "hasXSDDuration", _literal_duration(DURATIONS[months]))
    g.add(graph, period, RK + "startInclusive", ox.Literal(True))
    g.add(graph, period, RK + "endInclusive", ox.Literal(True))
    g.add(graph, period, RK + "renewable", ox.Literal(framework in ("cpc", "rtu")))
    g.cite(
        graph,
        period,
        doc,
        provisions[4],
        f"Le présent dispositif est valable {DURATIONS[months]} à compter de son entrée en vigueur.",
    )
    for role, point_day, word_fr, word_en in (("start", start, "Début", "Start"), ("end", end, "Fin", "End")):
        point = f"{period}/{role}"
        g.add(graph, period, TIME + ("hasBeginning" if role == "start" else "hasEnd"), point)
        g.add(graph, point, RDF + "type", RK + "TimePoint")
        g.labels(graph, point, f"{word_fr} : {point_day:%d/%m/%Y}", f"{word_en}: {point_day.isoformat()}")
        g.add(graph, point, TIME + "inXSDDate", _literal_date(point_day))
        g.add(graph, point, RK + "dateStatus", RK + ("DateDerived" if role == "start" else "DateStated"))
        g.cite(graph, point, doc, provisions[4], f"jusqu'au {point_day:%d/%m/%Y}")
    return doc, measure


def synthetic(target_triples: int) -> list[ox.Quad]:
    """The synthetic quads: reference entities, then documents until `target_triples` is reached."""
    rng = random.Random(SEED)
    g = Graphs()
    _reference(g, rng)
    span = (LAST_DAY - FIRST_DAY).days
    history: dict[int, tuple[str, str]] = {}  # medicine -> (last document, last measure)
    last_day: dict[int, date] = {}
    k = 0
    while len(g.quads) < target_triples:
        medicine = k % MEDICINES if k < MEDICINES else rng.randrange(MEDICINES)
        if medicine in last_day:  # a follow-up document 3 to 18 months later
            day = min(last_day[medicine] + timedelta(days=rng.randrange(90, 540)), LAST_DAY)
        else:
            day = FIRST_DAY + timedelta(days=rng.randrange(span * 3 // 4))
        doc, measure = _document(g, rng, k, medicine, day, history.get(medicine))
        history[medicine], last_day[medicine] = (doc, measure), day
        k += 1
    return g.quads


def real_nquads(python: Path) -> bytes:
    """Build the project's store into bench/out/real-store and export it as N-Quads."""
    regkg = python.parent / "regkg"
    store = OUT / "real-store"
    subprocess.run([str(regkg), "build", "--store", str(store)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return subprocess.run(
        [str(regkg), "export", "--store", str(store), "--format", "nquads"], cwd=ROOT, check=True, capture_output=True
    ).stdout


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--triples", type=int, default=DEFAULT_TRIPLES, help="synthetic triples to generate (about)")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    quads = synthetic(args.triples)
    synthetic_bytes = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    real_bytes = real_nquads(Path(sys.executable))
    data = synthetic_bytes + real_bytes
    graphs = Counter(q.graph_name.value for q in ox.parse(data, format=ox.RdfFormat.N_QUADS))  # type: ignore[union-attr]
    info = {
        "digest": hashlib.sha256(data).hexdigest(),
        "quads": sum(graphs.values()),
        "synthetic_quads": len(quads),
        "real_quads": real_bytes.count(b"\n"),
        "graphs": dict(sorted(graphs.items())),
        "seed": SEED,
    }
    (args.out / "synthetic.nq").write_bytes(synthetic_bytes)
    (args.out / "real.nq").write_bytes(real_bytes)
    (args.out / "data.nq").write_bytes(data)
    (args.out / "data.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out / 'data.nq'}: {info['quads']} quads ({info['synthetic_quads']} synthetic, "
        f"{info['real_quads']} real) in {len(graphs)} graphs, digest {str(info['digest'])[:16]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
