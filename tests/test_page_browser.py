"""index.html in a real browser: headless Chromium loads the built sample site from the preview server.

Chromium parses the page, applies its Content-Security-Policy and runs its script; the
DOM it dumps is what a visitor gets. Only 127.0.0.1 is ever contacted. Without a
`chromium` binary (Debian's `chromium` package) these tests are skipped.

The page without JavaScript is tested on its source (tests/test_page.py): headless
Chromium dumps the DOM and takes screenshots through JavaScript, so with scripts
switched off (`--blink-settings=scriptEnabled=false`) it returns nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from feeds.build import BuildOutcome
from feeds.config import SiteConfig, load_config
from feeds.model import FORMATS, Feed
from feeds.serve import make_server
from tests.conftest import Build

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None and os.environ.get("FEEDS_REQUIRE_BROWSER"):  # CI sets it once it installed Chromium
    raise RuntimeError("FEEDS_REQUIRE_BROWSER is set but no `chromium` is on PATH")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no `chromium` on PATH: install Debian's chromium package to test index.html in a browser",
)

PHONE = (390, 844)
"""A phone's viewport in CSS pixels (portrait)."""
TIMEOUT = 120
"""Seconds for one Chromium run; a cold start takes one or two."""
_REQUEST = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/1\.[01]" (?P<status>\d{3})')


@dataclass(frozen=True)
class Site:
    url: str
    config: SiteConfig
    outcome: BuildOutcome
    scratch: Path

    @property
    def head(self) -> Feed:
        return self.outcome.result.feeds[0]


@pytest.fixture
def site(sample_site: Path, build: Build, tmp_path: Path) -> Iterator[Site]:
    """The sample site built (index.html included), served on 127.0.0.1."""
    outcome = build(sample_site)
    config = load_config(sample_site / "feeds.toml")
    assert (config.output_dir / "index.html").is_file()
    server = make_server(config.output_dir, port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}/", config, outcome, tmp_path / "chromium")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def chromium(site: Site, *options: str) -> subprocess.CompletedProcess[bytes]:
    """Run headless Chromium on the site's page with a fresh profile; it must succeed."""
    assert CHROMIUM is not None
    site.scratch.mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(dir=site.scratch))
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={home / 'profile'}",
        *options,
        site.url,
    ]
    # Its crash reports and caches go to the temporary home, not the user's.
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home)}
    result = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False, env=env)
    errors = result.stderr.decode(errors="replace").splitlines()[-20:]
    assert result.returncode == 0, "\n".join(errors)
    return result


def requests(log: str) -> list[tuple[str, str, str]]:
    """(method, target, status) of each request the preview server logged."""
    return [match.group("method", "target", "status") for match in _REQUEST.finditer(log)]


def dom(result: subprocess.CompletedProcess[bytes]) -> etree._Element:
    assert result.stdout.strip(), "Chromium dumped no DOM"
    return lxml.html.document_fromstring(result.stdout)


def _texts(root: etree._Element, path: str) -> list[str]:
    return ["".join(element.itertext()).strip() for element in root.xpath(path)]  # type: ignore[union-attr]


def test_chromium_shows_the_feeds_and_the_newest_entries(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    root = dom(chromium(site, "--dump-dom"))
    feeds = site.outcome.result.feeds
    assert _texts(root, "//h1") == [site.config.title]
    assert _texts(root, "//title") == [site.config.title]
    assert root.get("lang") == site.config.language
    urls = [site.head.url(fmt) for fmt in FORMATS]
    assert urls == [
        "https://news.example.org/rss.xml",
        "https://news.example.org/atom.xml",
        "https://news.example.org/feed.json",
    ]
    assert [field.get("value") for field in root.xpath("//input")] == urls
    assert root.xpath("//head/link[@rel='alternate']/@href") == urls
    # The script ran (the policy let it): the Copy buttons are shown.
    buttons = root.xpath("//button[@data-copy]")
    assert len(buttons) == 3
    assert all(button.get("hidden") is None for button in buttons)
    titles = [entry.title for entry in site.head.entries[:20]]
    assert len(titles) >= 5  # the sample site's articles
    assert _texts(root, "//ol[@class='entries']//h3") == titles
    assert root.xpath("//ol[@class='entries']//h3/a/@href") == [entry.url for entry in site.head.entries[:20]]
    topics = [feed.files.atom for feed in feeds[1:] if not feed.is_archive]
    assert topics and sorted(root.xpath("//details//a/@href")) == sorted(topics)
    assert root.xpath("//a[@href='feeds.opml']")
    # The page asked for nothing but itself.
    assert requests(capsys.readouterr().err) == [("GET", "/", "200")]


def test_a_phone_sized_screenshot(site: Site) -> None:
    picture = site.scratch / "page.png"
    chromium(site, f"--screenshot={picture}", f"--window-size={PHONE[0]},{PHONE[1]}", "--hide-scrollbars")
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == PHONE
    keep = os.environ.get("FEEDS_SCREENSHOT")
    if keep:  # to look at it: FEEDS_SCREENSHOT=/tmp/page.png pytest tests/test_page_browser.py
        shutil.copyfile(picture, keep)
