"""Dates in any common format, zoned, second-precise; impossible ones named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from feeds.dates import DateError, parse_date

KYIV = ZoneInfo("Europe/Kyiv")
EEST = timezone(timedelta(hours=3))


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


def test_a_time_without_zone_is_in_the_sites_zone() -> None:
    parsed = parse_date("2022-09-13 14:05", KYIV)
    assert parsed.utcoffset() == timedelta(hours=3)
    assert parsed.astimezone(UTC) == datetime(2022, 9, 13, 11, 5, tzinfo=UTC)
    winter = parse_date("2022-12-13 14:05", KYIV)
    assert winter.utcoffset() == timedelta(hours=2)


def test_date_and_datetime_objects() -> None:
    assert parse_date(date(2022, 9, 13), KYIV) == datetime(2022, 9, 13, tzinfo=KYIV)
    assert parse_date(datetime(2022, 9, 13, 1, 2, 3, 456), UTC) == datetime(2022, 9, 13, 1, 2, 3, tzinfo=UTC)


def test_unix_time_is_shown_in_the_sites_zone() -> None:
    assert parse_date(1663067100, KYIV).isoformat() == "2022-09-13T14:05:00+03:00"


def test_missing_parts_come_from_a_fixed_default_not_today() -> None:
    assert parse_date("September 2022", UTC) == datetime(2022, 9, 1, tzinfo=UTC)


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
