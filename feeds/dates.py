"""Dates in any common format, made timezone-aware and second-precise.

A date without a zone takes the site's zone. Nothing here reads the clock:
dateutil fills missing parts from a fixed default, never from today.
"""

from __future__ import annotations

import functools
import re
import warnings
from datetime import UTC, date, datetime, tzinfo

from feeds.errors import quoted
from feeds.model import RawDate


class DateError(ValueError):
    """A date that cannot be read, or names no real day or time."""


# Abbreviations dateutil does not know on its own; ambiguous ones (IST, CST in Asia) are left out
# so that they are reported instead of guessed.
_ZONE_ABBREVIATIONS = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0,
    "WET": 0, "WEST": 3600, "BST": 3600, "CET": 3600, "CEST": 7200,
    "EET": 7200, "EEST": 10800, "MSK": 10800,
    "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000,
    "MST": -25200, "MDT": -21600, "PST": -28800, "PDT": -25200,
    "JST": 32400, "KST": 32400, "AEST": 36000, "AEDT": 39600,
}  # fmt: skip
_DEFAULT = datetime(2000, 1, 1)
_EPOCH = re.compile(r"^-?\d{9,13}(\.\d+)?$")
_EARLIEST, _LATEST = 1800, 9999
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?\b")
_ZONE_NAME = re.compile(r"tzname (\S+) identified")


def parse_date(raw: RawDate, zone: tzinfo) -> datetime:
    """An aware datetime without microseconds; naive input is taken to be in `zone`."""
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, int | float):
        value = _from_epoch(float(raw))
    else:
        value = _from_text(raw.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    elif isinstance(raw, int | float) or _EPOCH.match(str(raw).strip()):
        value = value.astimezone(zone)  # a Unix time is an instant: show it on the site's clock
    try:
        offset = value.utcoffset()
    except ValueError:  # dateutil accepts "+25:00"; datetime does not
        raise DateError(f"{quoted(str(raw))} has an offset of a day or more") from None
    if not _EARLIEST <= value.year <= _LATEST:
        raise DateError(f"{quoted(str(raw))} is not a plausible publication date")
    if offset is not None and offset.total_seconds() % 60:
        # Local mean time before zones were standard (Kyiv: +02:02:04 until 1924): RFC 822
        # and RFC 3339 offsets have whole minutes, so such a time is given in UTC.
        value = value.astimezone(UTC)
    return value.replace(microsecond=0)


def in_zone(value: datetime, zone: tzinfo) -> datetime:
    """`value` as the site's clock shows it (same instant)."""
    return value.astimezone(zone)


def to_utc_text(value: datetime) -> str:
    """RFC 3339 in UTC, as the registry stores times.

    Remembered: the records of a build's new articles share its first-seen time, and at 100,000
    articles `strftime` for each took 0.3 s. By the value and its fold: equal instants give equal
    text, but in one zone the two 03:30 of the night the clocks go back compare equal too."""
    return _utc_text(value, value.fold)


@functools.lru_cache(maxsize=4096)
def _utc_text(value: datetime, fold: int) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_utc_text(text: str) -> datetime:
    """The inverse of `to_utc_text` (strict: exactly that shape, else ValueError)."""
    if len(text) != 20 or not text.endswith("Z") or text[10] != "T":
        raise ValueError(f"'{text}' is not a time such as 2022-09-13T11:05:00Z")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)  # strptime is 30 times slower


def _from_newsroom(match: re.Match[str]) -> datetime | None:
    """What dateutil makes of a date as the seed's pages write it, 15 times sooner (at 60 µs
    each, dateutil was a sixth of the work of reading a plain-text article); None for what
    dateutil should read (a name it knows otherwise, an impossible day, which it names)."""
    month = _MONTHS.get(match["month"].lower())
    offset = _ZONE_ABBREVIATIONS.get(match["zone"])
    if month is None or offset is None:
        return None
    from dateutil.tz import tzoffset  # what dateutil gives for a name in its `tzinfos`

    try:
        return datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=tzoffset(match["zone"], offset),
        )
    except ValueError:
        return None


def _from_epoch(seconds: float) -> datetime:
    if abs(seconds) > 1e11:  # milliseconds, as JavaScript writes them
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise DateError(f"{quoted(str(seconds))} is not a usable Unix time") from None


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$")
_NEWSROOM = re.compile(
    r"^(?P<month>[A-Za-z]{3,9})\.? (?P<day>\d{1,2}), (?P<year>\d{4}) "
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))? (?P<zone>[A-Z]{2,4})$"
)
"""How the seed's pages date their reports: "Sept. 13, 2022 14:05 EEST" (a 24-hour time)."""
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
"""The month names dateutil knows (`parserinfo.MONTHS`), in lower case."""


def _from_text(text: str) -> datetime:
    if not text:
        raise DateError("the date is empty")
    if _EPOCH.match(text):
        return _from_epoch(float(text))  # aware (UTC); parse_date shows it in the site's zone
    if _ISO.match(text):  # the common case, read by the standard library about 50 times faster
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # an impossible day: dateutil below names the problem
    if (match := _NEWSROOM.match(text)) and (newsroom := _from_newsroom(match)) is not None:
        return newsroom
    # "GMT+3" means three hours ahead to people; dateutil reads it the POSIX way (behind).
    text = _GMT_OFFSET.sub(lambda m: f"{m['sign']}{int(m['hours']):02d}:{m['minutes'] or '00'}", text)
    from dateutil import parser as dateparser  # past the fast paths only (25 ms to import)
    from dateutil.parser import UnknownTimezoneWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownTimezoneWarning)
        try:
            return dateparser.parse(text, default=_DEFAULT, tzinfos=_ZONE_ABBREVIATIONS)
        except UnknownTimezoneWarning as exc:
            name = _ZONE_NAME.search(str(exc))
            zone = f" '{name.group(1)}'" if name else ""
            raise DateError(
                f"{quoted(text)}: unknown time zone{zone}; write an offset such as +03:00 instead"
            ) from None
        except dateparser.ParserError as exc:
            reason = str(exc).split(":", 1)[0]
            if "out of range" in reason or "must be in" in reason:
                raise DateError(f"{quoted(text)} is not a real date ({reason})") from None
            raise DateError(f"{quoted(text)} is not a date that can be read") from None
        except (OverflowError, ValueError) as exc:
            raise DateError(f"{quoted(text)} is not a real date ({exc})") from None
