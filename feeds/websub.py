"""websub: tell a WebSub hub that feeds changed, so it fetches them and pushes to subscribers.

This is an edge, like write: the only code that talks to the network. The publish request
is the one PubSubHubbub 0.4 defined and WebSub hubs still accept (the W3C Recommendation
leaves publishing to the hub): a form POST of `hub.mode=publish&hub.url=<feed URL>`, one
per feed. Problems with the network or the hub are results, never exceptions, so a failed
ping cannot fail a build that has already written its files; the CLI prints the results.
"""

from __future__ import annotations

import http.client
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import Message
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin, urlsplit

from feeds import __version__

UNREACHABLE = "hub unreachable"
BODY_EXCERPT = 200
"""How many characters of a hub's error answer a message quotes."""


@dataclass(frozen=True, slots=True)
class PingResult:
    """What the hub made of the announcement of one feed URL."""

    url: str
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class _Attempt:
    ok: bool
    message: str
    """The result's message; for an attempt worth repeating, only its cause ('timed out')."""
    retry: str | None = None
    """For a cause worth another try (a 5xx, or no answer at all), how the final message starts."""


def ping(
    hub: str,
    urls: Sequence[str],
    *,
    timeout: float = 10.0,
    attempts: int = 3,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> list[PingResult]:
    """Announce each feed URL to `hub`, in order, once each; one result per distinct URL.

    Any 2xx answer is success. A 4xx answer is the hub refusing this URL, so it is not
    retried. A 5xx answer, a refused connection or a timeout is retried up to `attempts`
    requests in all, waiting `backoff`, then twice as long, and so on, between them. Each
    URL has its own attempts. `timeout` bounds connecting and each wait for bytes (as in
    urllib), not the request as a whole.

    Redirects are not followed: urllib would turn a POST answered 301, 302 or 303 into a
    GET without the form, which a hub may well answer 200 without having been told
    anything. A 3xx is reported as not ok, naming where the hub pointed, so the user can
    configure that URL instead.
    """
    if isinstance(urls, str):
        raise TypeError("urls must be a sequence of feed URLs, not one string")
    if not hub.strip():
        raise ValueError("hub must be a URL, not empty")
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    if timeout <= 0 or backoff < 0:
        raise ValueError(f"timeout must be positive and backoff not negative, not {timeout} and {backoff}")
    distinct = list(dict.fromkeys(urls))
    problem = _hub_problem(hub)
    if problem:
        return [PingResult(url, ok=False, message=problem) for url in distinct]
    opener = urllib.request.build_opener(_RefuseRedirects())
    results: list[PingResult] = []
    unreachable = False
    for url in distinct:
        if unreachable:
            # A hub that did not answer one feed will not answer the next: say so at once
            # instead of waiting out every feed's attempts.
            results.append(PingResult(url, ok=False, message="not sent: the hub was unreachable"))
            continue
        results.append(_announce(opener, hub, url, timeout, attempts, backoff, sleep))
        unreachable = results[-1].message.startswith(UNREACHABLE)
    return results


def _hub_problem(hub: str) -> str | None:
    """Why no request should be made to `hub`, or None if it is an absolute http(s) URL."""
    refusal = f"hub '{hub}' is not an absolute http(s) URL; nothing was sent"
    if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in hub):
        return refusal  # spaces or control characters: http.client would refuse it anyway
    try:
        parts = urlsplit(hub)
        parts.port  # noqa: B018 -- a port that is not a number raises here
    except ValueError:
        return refusal
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return refusal
    return None


def _announce(
    opener: urllib.request.OpenerDirector,
    hub: str,
    url: str,
    timeout: float,
    attempts: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> PingResult:
    body = urlencode({"hub.mode": "publish", "hub.url": url}).encode("ascii")
    for number in range(1, attempts + 1):
        request = urllib.request.Request(
            hub,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": f"feeds/{__version__}",
            },
        )
        attempt = _post(opener, request, timeout)
        if attempt.retry is None:
            return PingResult(url, ok=attempt.ok, message=attempt.message)
        if number < attempts:
            sleep(backoff * 2 ** (number - 1))
    tries = f"{attempts} attempt" + ("s" if attempts > 1 else "")
    return PingResult(url, ok=False, message=f"{attempt.retry} after {tries}: {attempt.message}")


def _post(opener: urllib.request.OpenerDirector, request: urllib.request.Request, timeout: float) -> _Attempt:
    try:
        with opener.open(request, timeout=timeout) as response:
            return _Attempt(ok=True, message=f"hub accepted ({response.status})")
    except HTTPError as error:
        with error:
            return _answer(error)
    except URLError as error:
        return _Attempt(ok=False, message=_cause(error.reason), retry=UNREACHABLE)
    except (OSError, http.client.HTTPException) as error:
        # A timeout or a dropped connection while waiting for the answer: urllib lets these through.
        return _Attempt(ok=False, message=_cause(error), retry=UNREACHABLE)


def _answer(error: HTTPError) -> _Attempt:
    """Judge an answer urllib did not count as success (anything outside 2xx)."""
    status = error.code
    if 300 <= status < 400:
        where = error.headers.get("Location")
        if where:
            where = urljoin(error.url, " ".join(where.split()))
            return _Attempt(
                ok=False, message=f"hub redirected ({status}) to {where}; not followed: use that as the hub"
            )
        return _Attempt(ok=False, message=f"hub redirected ({status}); not followed")
    excerpt = _excerpt(error)
    said = f"{status} {error.reason}".strip() + (f": {excerpt}" if excerpt else "")
    if 500 <= status < 600:
        return _Attempt(ok=False, message=said, retry="hub failed")
    return _Attempt(ok=False, message=f"hub refused: {said}")


def _excerpt(error: HTTPError) -> str:
    """The start of the hub's answer, on one line; empty if it cannot be read."""
    try:
        raw = error.read(BODY_EXCERPT * 4)
    except (OSError, http.client.HTTPException):
        return ""
    charset = error.headers.get_content_charset() or "utf-8"
    try:
        text = raw.decode(charset, errors="replace")
    except LookupError:
        text = raw.decode("utf-8", errors="replace")
    return " ".join(text.split())[:BODY_EXCERPT]


def _cause(reason: object) -> str:
    """'Connection refused', 'timed out': the words of an OS error without its errno."""
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Let every 3xx through as an HTTPError, for `_answer` to report."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None
