"""serve: preview the output folder over HTTP, as a careful static host would serve it.

Feed readers judge a site by more than its bytes: the media type, `ETag` and
`Last-Modified` (so they can ask "changed?" and get a `304`), gzip. This server
answers with all of them, so a reader pointed at a preview behaves as it will in
production, and a rebuild that changes nothing visibly keeps its validators.

It is an edge, like write, but it only reads. It answers GET and HEAD for regular
files under the root and nothing else: no directory listings, no dotfiles (the
build's lock and manifest), no path that leaves the root by `..`, by an encoded
slash or by a symbolic link. Every answer is built from one read of the file, so
its ETag, length and body always agree even while a build replaces files.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import mimetypes
import os
import re
import sys
from dataclasses import dataclass
from datetime import UTC
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from feeds import __version__, model
from feeds.errors import ConfigError

_UTF8 = "; charset=utf-8"

MEDIA_TYPES: dict[str, str] = {
    "rss.xml": model.MEDIA_TYPES["rss"] + _UTF8,
    "atom.xml": model.MEDIA_TYPES["atom"] + _UTF8,
    "feed.json": model.MEDIA_TYPES["json"] + _UTF8,
    ".opml": "text/x-opml" + _UTF8,
    ".html": "text/html" + _UTF8,
    ".xml": "application/xml" + _UTF8,
    ".json": "application/json" + _UTF8,
}
"""Media types by a file's base name (`rss.xml`) or, for a key starting with a dot, its suffix.

A base name wins over a suffix, so `archive/3/atom.xml` is Atom but `sitemap.xml` is XML.
Everything we write is UTF-8; saying so keeps readers from guessing Latin-1 for text/*.
"""

GZIP_THRESHOLD = 256
"""Files of at most this many bytes are sent as they are: gzip would save less than a packet."""

CACHE_CONTROL = "public, max-age=300"

_ENCODED_ESCAPES = re.compile(r"%(?:2f|5c|00)", re.IGNORECASE)
"""An encoded `/`, `\\` or NUL: no file name we write has one, and decoded they could cut new segments."""
_QUOTED_TAG = re.compile(r'"[^"]*"')


def media_type(name: str) -> str:
    """The `Content-Type` for a file, judged by its base name (a path is fine), then its suffix."""
    base = PurePosixPath(name).name
    if base in MEDIA_TYPES:
        return MEDIA_TYPES[base]
    suffix = PurePosixPath(base).suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type(base)
    # `x.xml.gz` guesses as text/xml with an encoding; sent as text, a browser would show gzip bytes.
    if guessed is None or encoding is not None:
        return "application/octet-stream"
    return guessed


def make_server(root: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for the output folder `root` (not yet serving; call serve_forever).

    It logs one line per request to standard error. `port=0` picks a free port
    (read it from `server.server_port`). Raises `ConfigError` when `root` is not a
    folder or the address cannot be listened on.
    """
    return _make_server(root, host, port, log=True)


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, *, log: bool = True) -> None:
    """Serve until interrupted (Ctrl-C returns cleanly).

    With `log`, prints the address it serves at, then one line per request, to
    standard error; without it, prints nothing.
    """
    with _make_server(root, host, port, log=log) as server:
        if log:
            print(f"serving {root} at http://{host}:{server.server_port}/ (Ctrl-C to stop)", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def _make_server(root: Path, host: str, port: int, *, log: bool) -> http.server.ThreadingHTTPServer:
    if not root.is_dir():
        raise ConfigError(str(root), "not a folder to serve (has the site been built?)")
    site = _Site(root=root.resolve(), log=log)
    try:
        return _Server((host, port), functools.partial(_Handler, site=site))
    except OSError as exc:
        raise ConfigError(f"{host}:{port}", f"cannot listen there ({exc.strerror or exc})") from None


@dataclass(frozen=True, slots=True)
class _Site:
    root: Path
    """The folder's real path (symbolic links resolved): every served file must be inside it."""
    log: bool


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-answer (a reader's timeout, a closed tab) is normal, not a bug."""
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError | ConnectionAbortedError):
            return
        super().handle_error(request, client_address)


@dataclass(frozen=True, slots=True)
class _Redirect:
    location: str


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"feeds/{__version__}"

    def __init__(self, *args: Any, site: _Site, **kwargs: Any) -> None:
        self.site = site  # before super().__init__, which handles the request
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.site.log:
            super().log_message(format, *args)

    def log_error(self, format: str, *args: Any) -> None:
        """Not logged: `send_error` logs the request line with its status, one line per request."""

    def _answer(self, *, send_body: bool) -> None:
        found = _locate(self.site.root, self.path)
        if isinstance(found, HTTPStatus):
            self.send_error(found)
            return
        if isinstance(found, _Redirect):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", found.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            with found.open("rb") as stream:
                # stat the open file, not the path: a build may rename a new file into place meanwhile
                mtime = int(os.fstat(stream.fileno()).st_mtime)
                data = stream.read()
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        content_type = media_type(found.name)
        compress = (
            len(data) > GZIP_THRESHOLD
            and _is_text(content_type)
            and _accepts_gzip(_header(self.headers, "Accept-Encoding"))
        )
        etag = _etag(data, compressed=compress)
        validators = {
            "ETag": etag,
            "Last-Modified": formatdate(mtime, usegmt=True),
            "Cache-Control": CACHE_CONTROL,
            "Vary": "Accept-Encoding",
        }
        if _not_modified(self.headers, etag, mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return
        body = gzip.compress(data, mtime=0) if compress else data
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if compress:
            self.send_header("Content-Encoding", "gzip")
        for name, value in validators.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def _locate(root: Path, target: str) -> Path | _Redirect | HTTPStatus:
    """The file a request target names under `root` (its real path), or why there is none.

    Malformed and escaping paths are 400; hidden, missing and outside files are 404,
    so the answer never tells whether something exists outside the served files.
    """
    raw = target.partition("?")[0].partition("#")[0]
    if not raw.startswith("/") or _ENCODED_ESCAPES.search(raw):
        return HTTPStatus.BAD_REQUEST
    try:
        path = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return HTTPStatus.BAD_REQUEST
    segments = [segment for segment in path.split("/") if segment]
    if "\x00" in path or "\\" in path or ".." in segments:
        return HTTPStatus.BAD_REQUEST
    if any(segment.startswith(".") for segment in segments):
        return HTTPStatus.NOT_FOUND
    found = _inside(root, root.joinpath(*segments))
    if found is None:
        return HTTPStatus.NOT_FOUND
    if found.is_dir():
        index = _inside(root, found / "index.html")
        if index is None or not index.is_file():
            return HTTPStatus.NOT_FOUND  # never a listing
        if not path.endswith("/"):
            # so that the page's relative links resolve inside the folder, not beside it; built
            # from the segments, since a target starting `//` would be a link to another host
            folder = "".join(f"/{segment}" for segment in raw.split("/") if segment)
            return _Redirect(f"{folder}/{target[len(raw) :]}")
        return index
    if not found.is_file() or path.endswith("/"):
        return HTTPStatus.NOT_FOUND
    return found


def _inside(root: Path, candidate: Path) -> Path | None:
    """The real path of `candidate` if it exists and, links followed, is a visible part of `root`."""
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a symbolic link loop
        return None
    if not real.is_relative_to(root):
        return None
    if any(part.startswith(".") for part in real.relative_to(root).parts):
        return None  # a link to the lock or the manifest is still hidden
    return real


def _is_text(content_type: str) -> bool:
    essence = content_type.partition(";")[0].strip().lower()
    return essence.startswith("text/") or essence.endswith(("/xml", "+xml", "/json", "+json"))


def _accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether `Accept-Encoding` allows gzip: named (or `x-gzip`) with q > 0, else by `*` with q > 0."""
    if accept_encoding is None:
        return False
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0  # unreadable: do not risk a body the client cannot decode
        weights.setdefault(coding.lower(), weight)
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


def _etag(data: bytes, *, compressed: bool) -> str:
    """A strong ETag from the bytes; the gzip body is another representation, so another tag."""
    digest = hashlib.sha256(data).hexdigest()[:32]
    return f'"{digest}-gzip"' if compressed else f'"{digest}"'


def _not_modified(headers: Message, etag: str, mtime: int) -> bool:
    """RFC 9110 13.2.2: If-None-Match (compared weakly) decides; If-Modified-Since only without it."""
    if_none_match = _header(headers, "If-None-Match")
    if if_none_match is not None:
        return if_none_match.strip() == "*" or etag in _QUOTED_TAG.findall(if_none_match)
    if_modified_since = headers.get_all("If-Modified-Since")
    if not if_modified_since or len(if_modified_since) > 1:
        return False
    try:
        since = parsedate_to_datetime(str(if_modified_since[0]))
    except (TypeError, ValueError, IndexError):
        return False  # an invalid date is ignored
    if since.tzinfo is None:  # `-0000`: UTC, with no claim about the sender's zone
        since = since.replace(tzinfo=UTC)
    return mtime <= since.timestamp()


def _header(headers: Message, name: str) -> str | None:
    """A header's value, its repeated fields joined with commas as HTTP allows for lists."""
    values = headers.get_all(name)
    return None if not values else ", ".join(str(value) for value in values)
