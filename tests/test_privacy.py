"""No personal phone number or e-mail address from the sources reaches the graph."""

from __future__ import annotations

from pathlib import Path

from regkg import Store
from regkg.privacy import find_personal_contacts


def test_sources_do_contain_personal_contacts(root: Path) -> None:
    text = (root / "data" / "sources" / "dgos-dss-2024-148-lumykras.txt").read_text(encoding="utf-8")
    assert find_personal_contacts(text), "the detector must find the note's contact details (else it proves nothing)"


def test_export_has_no_phone_number_or_email(built_store: Store, root: Path) -> None:
    dump = built_store.export("nquads").decode("utf-8")
    assert find_personal_contacts(dump) == []
    for secret in ("06 61 87 21 63", "07 63 88 24 21", "damien.brue", "estelle.jury", "BRUEL", "JURY"):
        assert secret not in dump, f"{secret!r} leaked into the graph"


def test_contact_offices_are_modelled_instead(built_store: Store) -> None:
    rows = {r["o"].value for r in built_store.query("SELECT ?o WHERE { ?d rk:contactPoint ?o }")}
    assert rows == {"https://w3id.org/regkg/id/org/dgos/ri2", "https://w3id.org/regkg/id/org/dss/1c"}
