"""Calendar dates for the answers: strict parsing, xsd:duration arithmetic, plain wording.

Only calendar durations (years, months, weeks, days) are added to dates; a duration with a time
part (``PT12H``) cannot move a calendar date exactly, so :func:`add_duration` refuses it rather
than round it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(
    r"^(?P<sign>-?)P(?!$)(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?P<time>T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$"
)


class DateFormatError(ValueError):
    """A date is not a calendar date written YYYY-MM-DD."""


def parse_date(value: str | date, what: str = "date") -> date:
    """A calendar date from ``YYYY-MM-DD`` (a :class:`datetime.date` passes through).

    Anything else (``01/02/2024``, ``2024-13-01``, ``tomorrow``, ``20240101``) raises
    :class:`DateFormatError` with a message naming ``what`` and the expected form.
    """
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise DateFormatError(
        f"malformed {what} {value!r}: expected a calendar date written YYYY-MM-DD (for example 2024-10-24)"
    )


@dataclass(frozen=True)
class Duration:
    """The calendar part of an xsd:duration."""

    years: int = 0
    months: int = 0
    days: int = 0
    negative: bool = False
    has_time: bool = False

    @property
    def calendar_only(self) -> bool:
        return not self.has_time


def parse_duration(text: str) -> Duration | None:
    """An xsd:duration such as ``P1D``, ``P3Y``, ``P12M``, ``P1Y6M``; None if malformed."""
    m = _DURATION.match(text.strip())
    if not m:
        return None
    has_time = bool(m.group("time"))
    weeks = int(m.group("w") or 0)
    return Duration(
        years=int(m.group("y") or 0),
        months=int(m.group("m") or 0),
        days=int(m.group("d") or 0) + 7 * weeks,
        negative=m.group("sign") == "-",
        has_time=has_time,
    )


def add_duration(start: date, duration: str | Duration) -> date | None:
    """``start`` + ``duration`` by the XML Schema rule (years and months first, the day clamped
    to the end of a shorter month, then days); None when the duration has a time part or is
    malformed, since the result would not be an exact calendar date."""
    d = parse_duration(duration) if isinstance(duration, str) else duration
    if d is None or not d.calendar_only:
        return None
    sign = -1 if d.negative else 1
    months = start.year * 12 + (start.month - 1) + sign * (12 * d.years + d.months)
    year, month = divmod(months, 12)
    month += 1
    if not 1 <= year <= 9999:
        return None
    day = min(start.day, calendar.monthrange(year, month)[1])
    try:
        return date(year, month, day) + timedelta(days=sign * d.days)
    except OverflowError:
        return None


def describe_duration(text: str) -> str:
    """Plain English for an xsd:duration: ``P1D`` → "1 day", ``P1Y6M`` → "1 year and 6 months"."""
    d = parse_duration(text)
    if d is None or d.has_time:
        return text
    parts = []
    for amount, unit in ((d.years, "year"), (d.months, "month"), (d.days, "day")):
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    if not parts:
        return "0 days"
    words = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"minus {words}" if d.negative else words
