"""`feeds.dates.parse_date`: any common format in, an aware second-precise datetime out; impossible
dates named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from dateutil import parser as dateparser

from feeds import dates
from feeds.dates import DateError, parse_date
from feeds.model import RawDate

KYIV = ZoneInfo("Europe/Kyiv")  # +03:00 in September (summer time), +02:00 in December
EEST = PLUS3 = timezone(timedelta(hours=3))
INSTANT = datetime(2022, 9, 13, 11, 5, tzinfo=UTC)  # 14:05 in Kyiv; Unix time 1663067100


def _error(raw: RawDate, zone: tzinfo = KYIV) -> str:
    with pytest.raises(DateError) as caught:
        parse_date(raw, zone)
    return str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-09-13T14:05:00+03:00", datetime(2022, 9, 13, 14, 5, tzinfo=EEST)),
        ("2022-09-13T11:05:00Z", datetime(2022, 9, 13, 11, 5, tzinfo=UTC)),
        ("Tue, 13 Sep 2022 11:05:00 GMT", datetime(2022, 9, 13, 11, 5, tzinfo=UTC)),
        ("Tue, 13 Sep 2022 14:05:00 +0300", datetime(2022, 9, 13, 14, 5, tzinfo=EEST)),
        ("Sept. 13, 2022 14:05 EEST", datetime(2022, 9, 13, 14, 5, tzinfo=EEST)),
        ("1663067100", datetime(2022, 9, 13, 11, 5, tzinfo=UTC)),
        (1663067100, datetime(2022, 9, 13, 11, 5, tzinfo=UTC)),
        (1663067100123, datetime(2022, 9, 13, 11, 5, tzinfo=UTC)),  # milliseconds
        ("2022-09-13T14:05:00.999+03:00", datetime(2022, 9, 13, 14, 5, tzinfo=EEST)),
    ],
)
def test_instants(raw: object, expected: datetime) -> None:
    parsed = parse_date(raw, KYIV)  # type: ignore[arg-type]
    assert parsed == expected and parsed.microsecond == 0 and parsed.tzinfo is not None


# ISO 8601.


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("2022-09-13T14:05:00+03:00", timedelta(hours=3)),
        ("2022-09-13T11:05:00Z", timedelta(0)),
        ("2022-09-13T06:05:00-05:00", timedelta(hours=-5)),
    ],
)
def test_iso_with_a_zone_keeps_its_instant_and_offset(raw: str, offset: timedelta) -> None:
    parsed = parse_date(raw, UTC)
    assert parsed == INSTANT
    assert parsed.utcoffset() == offset


def test_a_time_without_zone_is_in_the_sites_zone() -> None:
    parsed = parse_date("2022-09-13 14:05", KYIV)
    assert parsed.utcoffset() == timedelta(hours=3)
    assert parsed.astimezone(UTC) == datetime(2022, 9, 13, 11, 5, tzinfo=UTC)
    winter = parse_date("2022-12-13 14:05", KYIV)
    assert winter.utcoffset() == timedelta(hours=2)
    assert winter == datetime(2022, 12, 13, 12, 5, tzinfo=UTC)


def test_iso_without_a_zone_takes_the_given_zone() -> None:
    parsed = parse_date("2022-09-13T14:05:00", KYIV)
    assert parsed.tzinfo == KYIV
    assert parsed.utcoffset() == timedelta(hours=3)
    assert parsed == INSTANT


def test_the_same_naive_text_in_another_zone_is_another_instant() -> None:
    assert parse_date("2022-09-13T14:05:00", UTC) == datetime(2022, 9, 13, 14, 5, tzinfo=UTC)


def test_a_bare_day_is_midnight_in_the_given_zone() -> None:
    assert parse_date("2022-09-13", KYIV) == datetime(2022, 9, 12, 21, 0, tzinfo=UTC)


# RFC 822 and newsroom formats.


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("Tue, 13 Sep 2022 11:05:00 GMT", timedelta(0)),
        ("Tue, 13 Sep 2022 11:05:00 +0000", timedelta(0)),
        ("Tue, 13 Sep 2022 14:05:00 +0300", timedelta(hours=3)),
        ("Tue, 13 Sep 2022 07:05:00 EDT", timedelta(hours=-4)),
    ],
)
def test_rfc_822(raw: str, offset: timedelta) -> None:
    parsed = parse_date(raw, KYIV)
    assert parsed == INSTANT
    assert parsed.utcoffset() == offset


@pytest.mark.parametrize(
    "raw",
    ["Sept. 13, 2022 14:05 EEST", "September 13, 2022 2:05 PM EEST", "13 Sep 2022 14:05 EEST"],
)
def test_newsroom_dates_with_a_zone_abbreviation(raw: str) -> None:
    parsed = parse_date(raw, UTC)
    assert parsed == datetime(2022, 9, 13, 14, 5, tzinfo=PLUS3)
    assert (parsed.hour, parsed.minute, parsed.utcoffset()) == (14, 5, timedelta(hours=3))


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("13 Sep 2022 14:05 GMT+3", timedelta(hours=3)),
        ("13 Sep 2022 14:05 UTC+3", timedelta(hours=3)),
        ("13 Sep 2022 14:05 GMT+03:00", timedelta(hours=3)),
        ("13 Sep 2022 06:05 GMT-5", timedelta(hours=-5)),
        ("13 Sep 2022 16:35 UTC+5:30", timedelta(hours=5, minutes=30)),
    ],
)
def test_gmt_plus_three_means_three_hours_ahead(raw: str, offset: timedelta) -> None:
    # dateutil alone reads "GMT+3" the POSIX way, three hours *behind*: a silent six-hour error.
    parsed = parse_date(raw, UTC)
    assert parsed == INSTANT
    assert parsed.utcoffset() == offset


# Unix time.


def test_unix_time_is_shown_in_the_sites_zone() -> None:
    assert parse_date(1663067100, KYIV).isoformat() == "2022-09-13T14:05:00+03:00"


@pytest.mark.parametrize("raw", [1663067100, "1663067100", 1663067100000, "1663067100000", 1663067100.0])
def test_unix_seconds_and_milliseconds(raw: RawDate) -> None:
    parsed = parse_date(raw, KYIV)
    assert parsed == INSTANT
    assert parsed.utcoffset() == timedelta(hours=3)  # shown on the given zone's clock


# Python date and time values.


def test_date_and_datetime_objects() -> None:
    assert parse_date(date(2022, 9, 13), KYIV) == datetime(2022, 9, 13, tzinfo=KYIV)
    assert parse_date(datetime(2022, 9, 13, 1, 2, 3, 456), UTC) == datetime(2022, 9, 13, 1, 2, 3, tzinfo=UTC)


def test_a_naive_datetime_takes_the_given_zone() -> None:
    parsed = parse_date(datetime(2022, 9, 13, 14, 5), KYIV)
    assert parsed == INSTANT
    assert parsed.tzinfo == KYIV


def test_an_aware_datetime_keeps_its_zone() -> None:
    parsed = parse_date(datetime(2022, 9, 13, 6, 5, tzinfo=timezone(timedelta(hours=-5))), KYIV)
    assert parsed == INSTANT
    assert parsed.utcoffset() == timedelta(hours=-5)


# Second precision.


@pytest.mark.parametrize(
    "raw",
    [
        "2022-09-13T14:05:07.999999+03:00",
        "2022-09-13T14:05:07.5+03:00",
        datetime(2022, 9, 13, 14, 5, 7, 999_999, tzinfo=PLUS3),
    ],
)
def test_microseconds_are_dropped_not_rounded(raw: RawDate) -> None:
    parsed = parse_date(raw, UTC)
    assert parsed == datetime(2022, 9, 13, 14, 5, 7, tzinfo=PLUS3)
    assert parsed.microsecond == 0


def test_fractional_unix_seconds_are_dropped() -> None:
    assert parse_date(1663067100.75, UTC) == INSTANT


# Offsets: whole minutes, less than a day.


@pytest.mark.parametrize(
    "raw",
    ["2022-09-13T14:05:00+25:00", "2022-09-13T14:05:00+24:00", "2022-09-13T14:05:00-24:00"],
)
def test_an_offset_of_a_day_or_more_is_a_date_error(raw: str) -> None:
    # datetime refuses such offsets; the date must be refused here, not crash a later stage.
    assert "has an offset of a day or more" in _error(raw, UTC)


@pytest.mark.parametrize(
    ("raw", "instant"),
    [
        ("1918-03-25 12:00", datetime(1918, 3, 25, 9, 57, 56, tzinfo=UTC)),
        ("1924-05-01 12:00", datetime(1924, 5, 1, 9, 57, 56, tzinfo=UTC)),
    ],
)
def test_a_local_mean_time_offset_is_given_in_utc(raw: str, instant: datetime) -> None:
    # Kyiv was +02:02:04 until May 1924: RFC 822 and RFC 3339 offsets have whole minutes.
    parsed = parse_date(raw, KYIV)
    assert parsed == instant
    assert parsed.utcoffset() == timedelta(0)


def test_a_standard_offset_after_local_mean_time_is_kept() -> None:
    parsed = parse_date("1924-05-02 12:00", KYIV)
    assert (parsed.tzinfo, parsed.utcoffset()) == (KYIV, timedelta(hours=2))


# Impossible and unreadable dates.


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2022-02-30", "'2022-02-30' is not a real date (day is out of range for month)"),
        ("2022-13-01", "'2022-13-01' is not a real date (month must be in 1..12)"),
        ("soon", "'soon' is not a date that can be read"),
        ("", "the date is empty"),
        ("13 Sep 2022 14:05 XYZT", "unknown time zone 'XYZT'; write an offset such as +03:00 instead"),
        ("0001-01-01", "'0001-01-01' is not a plausible publication date"),
    ],
)
def test_bad_dates_are_named(raw: str, message: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(raw, UTC)
    assert message in str(caught.value)


@pytest.mark.parametrize("raw", ["2022-02-29", "2022-04-31", "2022-09-13 24:30"])
def test_impossible_dates_are_not_real_dates(raw: str) -> None:
    message = _error(raw)
    assert "not a real date" in message
    assert raw in message


def test_a_leap_day_in_a_leap_year_is_fine() -> None:
    assert parse_date("2024-02-29", UTC) == datetime(2024, 2, 29, tzinfo=UTC)


def test_an_ambiguous_zone_abbreviation_is_named_not_guessed() -> None:
    assert "unknown time zone 'IST'" in _error("13 Sep 2022 14:05 IST")  # India? Ireland? Israel?


def test_blank_text_is_a_date_error() -> None:
    _error("   ")


# Missing parts come from a fixed default, never from the clock.


def test_missing_parts_come_from_a_fixed_default_not_today() -> None:
    # dateutil alone would take the day from today's date: this would fail on every day but the 1st.
    assert parse_date("September 2022", UTC) == datetime(2022, 9, 1, tzinfo=UTC)


def test_a_year_and_month_in_iso_is_the_first_of_that_month() -> None:
    assert parse_date("2022-09", UTC) == datetime(2022, 9, 1, tzinfo=UTC)


def test_a_bare_year_is_the_first_of_january() -> None:
    # dateutil alone would take the month and day from today's date.
    assert parse_date("2022", UTC) == datetime(2022, 1, 1, tzinfo=UTC)


# Plausible years only: 1800 to 9999.


@pytest.mark.parametrize("raw", ["1799-12-31", "0999-01-01", "10000-01-01"])
def test_years_outside_1800_to_9999_are_rejected(raw: str) -> None:
    _error(raw, UTC)


@pytest.mark.parametrize(("raw", "year"), [("1800-01-01", 1800), ("9999-12-31", 9999)])
def test_the_first_and_last_plausible_years_are_accepted(raw: str, year: int) -> None:
    assert parse_date(raw, UTC).year == year


_SPELLINGS = [
    "Jan", "January", "Feb", "February", "Mar", "March", "Apr", "April", "May", "Jun", "June", "Jul",
    "July", "Aug", "August", "Sep", "Sept", "September", "Oct", "October", "Nov", "November", "Dec",
    "December",
]  # fmt: skip


@pytest.mark.parametrize("zone", sorted(set(dates._ZONE_ABBREVIATIONS) - {"Z"}))
@pytest.mark.parametrize("dot", ["", "."])
def test_newsroom_dates_read_quickly_are_what_dateutil_reads(zone: str, dot: str) -> None:
    """ "Sept. 13, 2022 14:05 EEST", as the seed's pages write dates, is read without dateutil's
    parser: to the same value, zone object and all (its name, offset and type)."""
    for number, month in enumerate(_SPELLINGS):
        text = f"{month.lower() if number % 5 == 0 else month}{dot} {1 + number % 28}, 20{10 + number} "
        text += f"{number % 24}:{number * 7 % 60:02d}{':30' if number % 2 else ''} {zone}"
        assert dates._NEWSROOM.match(text), text
        quick = dates._from_text(text)
        slow = dateparser.parse(text, default=dates._DEFAULT, tzinfos=dates._ZONE_ABBREVIATIONS)
        assert (quick, repr(quick), quick.tzname(), type(quick.tzinfo)) == (
            slow,
            repr(slow),
            slow.tzname(),
            type(slow.tzinfo),
        )


def test_newsroom_dates_that_the_quick_reading_leaves_to_dateutil(monkeypatch: pytest.MonkeyPatch) -> None:
    quick: list[str] = []
    real = dates._from_newsroom
    monkeypatch.setattr(dates, "_from_newsroom", lambda match: quick.append(match[0]) or real(match))
    assert parse_date("Sept. 13, 2022 14:05 EEST", UTC) == datetime(2022, 9, 13, 14, 5, tzinfo=PLUS3)
    assert "not a real date" in _error("Feb. 30, 2022 14:05 EET")  # an impossible day: named by dateutil
    assert parse_date("Sept. 13, 2022 2:05 PM EEST", UTC).hour == 14  # not its shape
    assert "unknown time zone 'XYZT'" in _error("Sept. 13, 2022 14:05 XYZT")
    assert parse_date("Sept. 13, 2022 14:05 Z", UTC) == datetime(2022, 9, 13, 14, 5, tzinfo=UTC)
    assert quick == ["Sept. 13, 2022 14:05 EEST", "Feb. 30, 2022 14:05 EET", "Sept. 13, 2022 14:05 XYZT"]


def test_utc_text_names_the_instant_even_where_a_zone_shows_one_time_twice() -> None:
    first, second = (
        datetime(2022, 10, 30, 3, 30, tzinfo=KYIV),
        datetime(2022, 10, 30, 3, 30, fold=1, tzinfo=KYIV),
    )
    assert first == second  # one zone: Python compares the clock's times, not the instants
    assert (dates.to_utc_text(first), dates.to_utc_text(second)) == (
        "2022-10-30T00:30:00Z",
        "2022-10-30T01:30:00Z",
    )
    same = datetime(2022, 10, 30, 0, 30, tzinfo=UTC)
    assert (
        dates.to_utc_text(same) == dates.to_utc_text(first)
        and dates.to_utc_text(second) == "2022-10-30T01:30:00Z"
    )
