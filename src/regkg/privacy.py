"""Privacy check: no personal e-mail address or phone number in any literal."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib.term import Literal

from .datafiles import LoadedFile
from .report import Problem
from .terms import describe

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:[.@][\w-]+)+")
PRIVACY_MESSAGE = (
    "literal contains an e-mail address or a phone number; record the office, never personal contact details"
)
PHONE = re.compile(r"(?<!\d)(?:\+33[\s.]?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")


def find_personal_contacts(text: str) -> list[str]:
    """E-mail addresses and French phone numbers found in a text."""
    return EMAIL.findall(text) + PHONE.findall(text)


def check_privacy(loaded: list[LoadedFile], root: Path) -> list[Problem]:
    """Flag every literal that carries an e-mail address or a phone number."""
    problems = []
    for item in loaded:
        for s, p, o in item.graph:
            if isinstance(o, Literal) and find_personal_contacts(str(o)):
                problems.append(
                    Problem(
                        item.file.display(root),
                        "privacy",
                        describe(s, item.graph),
                        describe(p, item.graph),
                        PRIVACY_MESSAGE,
                    )
                )
    return problems


def mask_personal_contacts(text: str, mask: str = "[coordonnées masquées]") -> str:
    """The text with e-mail addresses and phone numbers replaced by a mask."""
    return PHONE.sub(mask, EMAIL.sub(mask, text))
