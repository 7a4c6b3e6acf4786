"""Pinging a WebSub hub: a real HTTP server on 127.0.0.1 plays the hub and records what it is told."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from feeds import __version__
from feeds.cli import main
from feeds.websub import PingResult, ping

FEED = "https://example.org/feeds/rss.xml"
STALL = -1
"""An answer that keeps the client waiting well past its timeout."""


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: Message
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Hub:
    """The test's hub: answers from a queue (204 once it is empty) and records every request."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    answers: deque[Answer] = field(default_factory=deque)
    release: threading.Event = field(default_factory=threading.Event)
    """Set at teardown, so a stalled handler ends at once."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *answers: int | Answer) -> None:
        self.answers.extend(a if isinstance(a, Answer) else Answer(a) for a in answers)

    def recorded(self, count: int) -> list[Recorded]:
        """The requests, waiting briefly for `count` of them: a client that timed out may
        have gone before its request was recorded. Answered requests are recorded first."""
        for _ in range(200):
            with self.lock:
                if len(self.requests) >= count:
                    break
            self.release.wait(0.01)
        with self.lock:
            return list(self.requests)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours proxy variables; the tests must reach 127.0.0.1 and nothing else."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hub() -> Iterator[Hub]:
    state = Hub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._record_and_answer()

        def do_GET(self) -> None:
            self._record_and_answer()

        def _record_and_answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.requests.append(Recorded(self.command, self.path, self.headers, body))
                answer = state.answers.popleft() if state.answers else Answer(204)
            if answer.status == STALL:
                state.release.wait(5)
                answer = Answer(204)
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hub"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every request urllib is asked to make; none is made."""
    calls: list[object] = []
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda *args, **kw: calls.append(args))
    return calls


def test_one_form_post_per_url(hub: Hub, sleep: FakeSleep) -> None:
    urls = [FEED, "https://example.org/tag/c++/atom.xml?page=2&x=é"]
    results = ping(hub.url, urls, sleep=sleep)
    assert results == [PingResult(url, ok=True, message="hub accepted (204)") for url in urls]
    assert len(hub.requests) == 2
    for url, request in zip(urls, hub.requests, strict=True):
        assert (request.method, request.path) == ("POST", "/hub")
        assert parse_qs(request.body.decode("ascii"), strict_parsing=True) == {
            "hub.mode": ["publish"],
            "hub.url": [url],
        }
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert request.headers["User-Agent"] == f"feeds/{__version__}"
    assert sleep.delays == []


@pytest.mark.parametrize("status", [200, 202, 204])
def test_any_2xx_is_success(hub: Hub, sleep: FakeSleep, status: int) -> None:
    hub.answer(status)
    assert ping(hub.url, [FEED], sleep=sleep) == [PingResult(FEED, True, f"hub accepted ({status})")]


def test_a_4xx_is_refused_at_once_with_the_start_of_the_answer(hub: Hub, sleep: FakeSleep) -> None:
    hub.answer(Answer(400, b"hub.url is not\n a feed we know. " + b"x" * 500))
    [result] = ping(hub.url, [FEED], sleep=sleep)
    assert not result.ok
    assert result.message.startswith("hub refused: 400 Bad Request: hub.url is not a feed we know. xxx")
    assert len(result.message) == len("hub refused: 400 Bad Request: ") + 200
    assert len(hub.requests) == 1
    assert sleep.delays == []


def test_a_5xx_is_retried_with_exponential_backoff(hub: Hub, sleep: FakeSleep) -> None:
    hub.answer(503, 503, 204)
    assert ping(hub.url, [FEED], sleep=sleep) == [PingResult(FEED, True, "hub accepted (204)")]
    assert len(hub.requests) == 3
    assert sleep.delays == [0.5, 1.0]


def test_a_hub_that_keeps_failing_is_given_up_after_the_attempts(hub: Hub, sleep: FakeSleep) -> None:
    hub.answer(*[Answer(500, b"database {down}")] * 5)
    [result] = ping(hub.url, [FEED], attempts=4, backoff=0.25, sleep=sleep)
    assert result == PingResult(
        FEED, False, "hub failed after 4 attempts: 500 Internal Server Error: database {down}"
    )
    assert len(hub.requests) == 4
    assert sleep.delays == [0.25, 0.5, 1.0]


def test_each_url_has_its_own_outcome_and_attempts(hub: Hub, sleep: FakeSleep) -> None:
    other = "https://example.org/feeds/atom.xml"
    hub.answer(Answer(404, b"unknown topic"), 502, 202)
    assert ping(hub.url, [FEED, other], sleep=sleep) == [
        PingResult(FEED, False, "hub refused: 404 Not Found: unknown topic"),
        PingResult(other, True, "hub accepted (202)"),
    ]
    assert sleep.delays == [0.5]


def test_a_refused_connection_is_retried_then_reported(sleep: FakeSleep) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    [result] = ping(f"http://127.0.0.1:{port}/hub", [FEED], sleep=sleep)
    assert not result.ok
    assert result.message == "hub unreachable after 3 attempts: Connection refused"
    assert sleep.delays == [0.5, 1.0]


def test_a_hub_that_does_not_answer_in_time_is_retried_then_reported(hub: Hub, sleep: FakeSleep) -> None:
    hub.answer(STALL, STALL)
    [result] = ping(hub.url, [FEED], timeout=0.2, attempts=2, sleep=sleep)
    assert result == PingResult(FEED, False, "hub unreachable after 2 attempts: timed out")
    assert len(hub.recorded(2)) == 2
    assert sleep.delays == [0.5]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_reported_not_followed(hub: Hub, sleep: FakeSleep, status: int) -> None:
    # Followed, a 301/302/303 would become a GET without the form, which this hub answers 204.
    hub.answer(Answer(status, headers=(("Location", "/elsewhere"),)))
    [result] = ping(hub.url, [FEED], sleep=sleep)
    assert not result.ok
    elsewhere = hub.url.replace("/hub", "/elsewhere")
    assert result.message == f"hub redirected ({status}) to {elsewhere}; not followed: use that as the hub"
    assert [(r.method, r.path) for r in hub.requests] == [("POST", "/hub")]
    assert sleep.delays == []


@pytest.mark.parametrize(
    "bad_hub",
    [
        "ftp://127.0.0.1/hub",
        "file:///etc/passwd",
        "127.0.0.1/hub",
        "http:///hub",
        "http://127.0.0.1:x/",
        "http://a b/",
    ],
)
def test_a_hub_that_is_not_an_http_url_gets_no_request(
    opened: list[object], sleep: FakeSleep, bad_hub: str
) -> None:
    results = ping(bad_hub, [FEED, "https://example.org/feeds/atom.xml"], sleep=sleep)
    assert [r.ok for r in results] == [False, False]
    assert results[0].message == f"hub '{bad_hub}' is not an absolute http(s) URL; nothing was sent"
    assert opened == []
    assert sleep.delays == []


def test_each_url_is_announced_once_in_the_order_given(hub: Hub, sleep: FakeSleep) -> None:
    urls = ["https://example.org/b.xml", "https://example.org/a.xml", "https://example.org/b.xml"]
    results = ping(hub.url, urls, sleep=sleep)
    assert [r.url for r in results] == ["https://example.org/b.xml", "https://example.org/a.xml"]
    assert [parse_qs(r.body.decode())["hub.url"] for r in hub.requests] == [[urls[0]], [urls[1]]]


def test_nothing_to_announce_sends_nothing(hub: Hub) -> None:
    assert ping(hub.url, []) == []
    assert hub.requests == []


@pytest.mark.parametrize(
    ("hub_url", "urls", "error"),
    [("", [FEED], ValueError), ("  ", [FEED], ValueError), ("http://127.0.0.1/", FEED, TypeError)],
)
def test_programmer_errors_raise(
    opened: list[object], sleep: FakeSleep, hub_url: str, urls: list[str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        ping(hub_url, urls, sleep=sleep)
    assert opened == []


@pytest.mark.parametrize("options", [{"attempts": 0}, {"timeout": 0}, {"backoff": -1}])
def test_impossible_options_raise(opened: list[object], sleep: FakeSleep, options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        ping("http://127.0.0.1/", [FEED], sleep=sleep, **options)  # type: ignore[arg-type]
    assert opened == []


def test_an_unreachable_hub_is_not_asked_again_for_every_feed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delays: list[float] = []
    results = ping(
        f"http://127.0.0.1:{port}/",
        ["https://example.org/a.xml", "https://example.org/b.xml", "https://example.org/c.xml"],
        timeout=0.5,
        attempts=2,
        sleep=delays.append,
    )
    assert [r.ok for r in results] == [False, False, False]
    assert results[0].message.startswith("hub unreachable after 2 attempts")
    assert [r.message for r in results[1:]] == ["not sent: the hub was unreachable"] * 2
    assert delays == [0.5]  # only the first feed's attempts were made


def test_build_ping_announces_only_the_head_feeds_that_changed(
    hub: Hub, empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = empty_site / "feeds.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'hub = "{hub.url}"\nfeed_limit = 1\narchive_page_size = 1\ntopics = []\n',
        encoding="utf-8",
    )
    for name, day in (("a", 1), ("b", 2)):
        (empty_site / "articles" / f"{name}.md").write_text(
            f"---\ntitle: {name}\ndate: 2022-01-0{day}\n---\nText.\n", encoding="utf-8"
        )
    monkeypatch.chdir(empty_site)
    now = ["--now", "2026-11-25T12:00:00Z"]
    assert main(["build", "--ping", *now]) == 0
    sent = sorted(parse_qs(r.body.decode())["hub.url"][0] for r in hub.recorded(3))
    assert sent == sorted(f"https://example.org/{name}" for name in ("atom.xml", "feed.json", "rss.xml"))
    assert "ping: 3 of 3 changed feeds announced" in capsys.readouterr().out

    assert main(["build", "--ping", *now]) == 0  # nothing changed: nothing to announce
    assert len(hub.recorded(3)) == 3
    assert "ping: 0 of 0 changed feeds" in capsys.readouterr().out


def test_build_ping_without_a_hub_warns_and_succeeds(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(empty_site)
    assert main(["build", "--ping", "--now", "2026-11-25T12:00:00Z"]) == 0
    assert "feeds: warning: --ping: feeds.toml names no 'hub'; nothing was sent" in capsys.readouterr().err


def test_build_ping_to_a_dead_hub_never_fails_the_build(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = empty_site / "feeds.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + f'hub = "http://127.0.0.1:{port}/"\n', encoding="utf-8"
    )
    monkeypatch.setattr("feeds.websub.time.sleep", lambda seconds: None)
    monkeypatch.chdir(empty_site)
    assert main(["build", "--ping", "--now", "2026-11-25T12:00:00Z"]) == 0
    err = capsys.readouterr().err
    assert "feeds: warning: ping https://example.org/rss.xml: hub unreachable after 3 attempts" in err
    assert (empty_site / "public" / "rss.xml").is_file()
