"""The seed article, through the whole build, as a feed reader sees it."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser

from tests.conftest import NOW, SEED

HEADLINE = "Devastation and evidence of war crimes found in wake of Russian retreat from Kharkiv Oblast"
STANDFIRST = "The General Staff spoke about the situation in the territories liberated from the occupiers"
SEED_ID = "tag:news.example.org,2022-09-13:kharkiv-oblast-after-the-retreat"

# Body paragraphs of the seed, in order, as written in the file (curly quotes included).
PARAGRAPHS = [
    "Moreover, even with Russian troops having fled the area, locals in liberated settlements",
    '"The defense forces are taking measures to return peaceful life',
    "the General Staff’s message reads.",
    "The Ukrainian army continues to liberate settlements in the east and south",
    "an area of more than 3,000 square kilometers has been returned to Ukrainian control.",
    "from more than 20 settlements on Sept. 12 alone",
    "the key city of Izyum in Kharkiv Oblast, liberated on Sept. 10",
    "“There’s currently no power, no water, no (Internet) connection,” Izyum Mayor Valerii Marchenko",
    "It's a matter of time – (the emergency crews) need at least a week",
    "He said the Ukrainian military is installing Starlink",
    "According to Marchenko, Kharkiv regional administration",
    "The mayor warned that it’s likely going to be impossible to restore central heating",
]


def _seed_entries(site: Path) -> dict[str, dict[str, object]]:
    entries = {}
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse((site / "public" / name).read_bytes())
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        entries[name] = next(e for e in parsed.entries if e.id == SEED_ID)
    document = json.loads((site / "public" / "feed.json").read_bytes())
    entries["feed.json"] = next(i for i in document["items"] if i["id"] == SEED_ID)
    return entries


def test_the_sample_seed_is_the_repository_seed_byte_for_byte() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "seeds" / SEED.name
    if shared.exists():  # the shared folder sits beside the checkout in development and CI
        assert SEED.read_bytes() == shared.read_bytes()
    assert SEED.read_bytes().startswith(HEADLINE.encode())


def test_seed_title_is_exactly_the_headline(sample_site: Path, build) -> None:
    build(sample_site, NOW)
    entries = _seed_entries(sample_site)
    assert entries["rss.xml"]["title"] == HEADLINE
    assert entries["atom.xml"]["title"] == HEADLINE
    assert entries["feed.json"]["title"] == HEADLINE


def test_seed_summary_is_the_standfirst_once(sample_site: Path, build) -> None:
    build(sample_site, NOW)
    entries = _seed_entries(sample_site)
    assert entries["atom.xml"]["summary"] == STANDFIRST
    assert entries["rss.xml"]["summary"] == STANDFIRST
    assert entries["feed.json"]["summary"] == STANDFIRST


def test_seed_content_carries_the_standfirst_once_and_no_promotions(sample_site: Path, build) -> None:
    build(sample_site, NOW)
    for entry in _seed_entries(sample_site).values():
        content = entry["content_html"] if "content_html" in entry else entry["content"][0]["value"]  # type: ignore[index]
        summary = entry["summary"]
        assert content.count(STANDFIRST) == 1
        for text in (content, summary):
            assert "Read also" not in text
            assert "Read the original article" not in text
            assert "Ukrainian troops in Kharkiv Oblast reach Russian border" not in text


def test_seed_body_paragraphs_and_quotes_come_in_order_intact(sample_site: Path, build) -> None:
    build(sample_site, NOW)
    for entry in _seed_entries(sample_site).values():
        content = entry["content_html"] if "content_html" in entry else entry["content"][0]["value"]  # type: ignore[index]
        content = content.replace("&quot;", '"').replace("&#x27;", "'").replace("&#39;", "'")
        positions = [content.find(fragment) for fragment in PARAGRAPHS]
        assert -1 not in positions, [p for p, at in zip(PARAGRAPHS, positions, strict=True) if at == -1]
        assert positions == sorted(positions)


def test_seed_outlet_is_attributed(sample_site: Path, build) -> None:
    build(sample_site, NOW)
    rss = (sample_site / "public" / "rss.xml").read_text(encoding="utf-8")
    atom = (sample_site / "public" / "atom.xml").read_text(encoding="utf-8")
    assert '<source url="https://english.nv.ua/">The New Voice of Ukraine</source>' in rss
    assert 'rel="via"' in atom and 'title="The New Voice of Ukraine"' in atom
    for entry in _seed_entries(sample_site).values():
        content = entry["content_html"] if "content_html" in entry else entry["content"][0]["value"]  # type: ignore[index]
        assert "First published by" in content and "The New Voice of Ukraine" in content


def test_seed_date_comes_from_its_sidecar(sample_site: Path, build) -> None:
    build(sample_site, NOW)
    entries = _seed_entries(sample_site)
    # "Sept. 13, 2022 14:05 EEST" is 11:05 UTC.
    assert entries["feed.json"]["date_published"] == "2022-09-13T14:05:00+03:00"
    assert entries["rss.xml"]["published"] == "Tue, 13 Sep 2022 14:05:00 +0300"
    assert (
        entries["atom.xml"]["link"]
        == "https://news.example.org/articles/2022/kharkiv-oblast-after-the-retreat/"
    )
