"""The preview server, asked by a real HTTP client on 127.0.0.1: types, validators, gzip, escapes."""

from __future__ import annotations

import gzip
import http.client
import http.server
import os
import socket
import struct
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate
from pathlib import Path

import pytest

from feeds.errors import ConfigError
from feeds.serve import GZIP_THRESHOLD, make_server, media_type, serve

SECRET = b"the secret outside the served folder"
MTIME = 1_700_000_000
"""A fixed modification time for the served files: Tue, 14 Nov 2023 22:13:20 GMT."""
FEED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
    + b"<item/>" * 100
    + b"</channel></rss>\n"
)
"""Text larger than the gzip threshold."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Message
    body: bytes


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An output folder, with a secret in its parent that must never be served."""
    (tmp_path / "secret").write_bytes(SECRET)
    public = tmp_path / "public"
    files = {
        "rss.xml": FEED,
        "atom.xml": b'<feed xmlns="http://www.w3.org/2005/Atom"/>',
        "feed.json": b'{"version": "https://jsonfeed.org/version/1.1"}',
        "feeds.opml": b'<opml version="2.0"/>',
        "index.html": b"<!doctype html><title>preview</title>",
        "archive/1/atom.xml": b'<feed xmlns="http://www.w3.org/2005/Atom"><title>1</title></feed>',
        "tags/izyum/rss.xml": b'<rss version="2.0"/>',
        "sitemap.xml": b"<urlset/>",
        "data.json": b"[]",
        "logo.png": b"\x89PNG\r\n\x1a\n",
        "notes.unknownext": b"?",
        "big.bin": b"\x00" * 4096,
        "empty/.keep": b"",
        ".feeds.lock": b"",
        ".feeds-manifest.json": b'["rss.xml"]',
    }
    for relative, data in files.items():
        path = public / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (MTIME, MTIME))
    return public


@pytest.fixture
def server(root: Path) -> Iterator[http.server.ThreadingHTTPServer]:
    running = make_server(root, port=0)
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()
        thread.join(5)


def request(
    server: http.server.ThreadingHTTPServer,
    path: str,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
) -> Reply:
    """One request on a fresh connection. http.client sends the path exactly as given."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    try:
        connection.request(method, path, headers=dict(headers or {}))
        response = connection.getresponse()
        return Reply(response.status, response.msg, response.read())
    finally:
        connection.close()


# Media types


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/archive/1/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/tags/izyum/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/data.json", "application/json; charset=utf-8"),
        ("/logo.png", "image/png"),
        ("/notes.unknownext", "application/octet-stream"),
    ],
)
def test_each_file_is_served_with_its_media_type(
    server: http.server.ThreadingHTTPServer, root: Path, path: str, expected: str
) -> None:
    reply = request(server, path)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == expected
    assert reply.body == (root / path.lstrip("/")).read_bytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("archive/3/atom.xml", "application/atom+xml; charset=utf-8"),
        ("tags/izyum/rss.xml", "application/rss+xml; charset=utf-8"),
        ("categories/war/feed.json", "application/feed+json; charset=utf-8"),
        ("not-rss.xml", "application/xml; charset=utf-8"),
        ("FEEDS.OPML", "text/x-opml; charset=utf-8"),
        ("feed.xml.gz", "application/octet-stream"),
        ("noextension", "application/octet-stream"),
    ],
)
def test_media_type_goes_by_base_name_then_suffix(name: str, expected: str) -> None:
    assert media_type(name) == expected


# Validators and conditional requests


def test_answers_carry_validators_and_caching_headers(server: http.server.ThreadingHTTPServer) -> None:
    reply = request(server, "/atom.xml")
    assert reply.status == 200
    etag = reply.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert reply.headers["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert reply.headers["Cache-Control"] == "public, max-age=300"
    assert reply.headers["Vary"] == "Accept-Encoding"
    assert reply.headers["Content-Length"] == str(len(reply.body))
    assert request(server, "/atom.xml").headers["ETag"] == etag  # same bytes, same tag


@pytest.mark.parametrize("if_none_match", ["{etag}", '"other", {etag}', "W/{etag}", "*"])
def test_if_none_match_gives_304_with_the_etag_and_no_body(
    server: http.server.ThreadingHTTPServer, if_none_match: str
) -> None:
    etag = request(server, "/rss.xml").headers["ETag"]
    reply = request(server, "/rss.xml", {"If-None-Match": if_none_match.format(etag=etag)})
    assert reply.status == 304
    assert reply.headers["ETag"] == etag
    assert reply.body == b""


def test_if_none_match_with_another_tag_gives_the_file(server: http.server.ThreadingHTTPServer) -> None:
    reply = request(server, "/rss.xml", {"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    assert reply.status == 200
    assert reply.body == FEED


def test_if_modified_since_equal_to_last_modified_gives_304(server: http.server.ThreadingHTTPServer) -> None:
    last_modified = request(server, "/rss.xml").headers["Last-Modified"]
    reply = request(server, "/rss.xml", {"If-Modified-Since": last_modified})
    assert reply.status == 304
    assert reply.body == b""


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Modified-Since": formatdate(MTIME - 1, usegmt=True)},
        {"If-Modified-Since": "yesterday, more or less"},
        # If-None-Match decides alone: a stale tag means the file, whatever the date says
        {"If-None-Match": '"stale"', "If-Modified-Since": formatdate(MTIME + 60, usegmt=True)},
    ],
    ids=["older-date", "invalid-date", "stale-tag-wins"],
)
def test_conditions_that_do_not_hold_give_the_file(
    server: http.server.ThreadingHTTPServer, headers: dict[str, str]
) -> None:
    reply = request(server, "/rss.xml", headers)
    assert reply.status == 200
    assert reply.body == FEED


def test_changed_bytes_give_200_and_a_new_etag(server: http.server.ThreadingHTTPServer, root: Path) -> None:
    old = request(server, "/atom.xml").headers["ETag"]
    (root / "atom.xml").write_bytes(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>new</title></feed>')
    os.utime(root / "atom.xml", (MTIME, MTIME))  # even with the same mtime, the bytes decide
    reply = request(server, "/atom.xml", {"If-None-Match": old})
    assert reply.status == 200
    assert reply.body.endswith(b"<title>new</title></feed>")
    assert reply.headers["ETag"] not in ("", old)


# gzip


def test_gzip_body_gunzips_to_the_file_under_its_own_etag(server: http.server.ThreadingHTTPServer) -> None:
    identity = request(server, "/rss.xml")
    zipped = request(server, "/rss.xml", {"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.status == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Content-Length"] == str(len(zipped.body))
    assert len(zipped.body) < len(FEED)
    assert gzip.decompress(zipped.body) == FEED
    assert zipped.headers["ETag"] != identity.headers["ETag"]
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert zipped.body[4:8] == b"\0\0\0\0"  # gzip's MTIME field: 0, so the bytes never vary


def test_gzip_etag_gives_304_only_for_the_gzip_representation(
    server: http.server.ThreadingHTTPServer,
) -> None:
    etag = request(server, "/rss.xml", {"Accept-Encoding": "gzip"}).headers["ETag"]
    not_modified = request(server, "/rss.xml", {"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert not_modified.status == 304
    assert not_modified.headers["ETag"] == etag
    identity = request(server, "/rss.xml", {"If-None-Match": etag})
    assert identity.status == 200
    assert identity.body == FEED


@pytest.mark.parametrize(
    ("accept_encoding", "zipped"),
    [
        ("gzip", True),
        ("x-gzip", True),
        ("*", True),
        ("br, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, deflate", False),
        ("gzip;q=0, *", False),
        ("br, *;q=0", False),
        ("identity", False),
    ],
)
def test_accept_encoding_is_respected(
    server: http.server.ThreadingHTTPServer, accept_encoding: str, zipped: bool
) -> None:
    reply = request(server, "/rss.xml", {"Accept-Encoding": accept_encoding})
    assert reply.status == 200
    assert ("Content-Encoding" in reply.headers) is zipped
    assert (gzip.decompress(reply.body) if zipped else reply.body) == FEED


@pytest.mark.parametrize("path", ["/atom.xml", "/big.bin"], ids=["small-text", "binary"])
def test_small_or_binary_files_are_not_gzipped(
    server: http.server.ThreadingHTTPServer, root: Path, path: str
) -> None:
    data = (root / path.lstrip("/")).read_bytes()
    assert (len(data) <= GZIP_THRESHOLD) is (path == "/atom.xml")
    reply = request(server, path, {"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in reply.headers
    assert reply.body == data


# HEAD


@pytest.mark.parametrize("accept_encoding", ["identity", "gzip"])
def test_head_gives_the_get_headers_and_no_body(
    server: http.server.ThreadingHTTPServer, accept_encoding: str
) -> None:
    get = request(server, "/rss.xml", {"Accept-Encoding": accept_encoding})
    head = request(server, "/rss.xml", {"Accept-Encoding": accept_encoding}, method="HEAD")
    assert head.status == 200
    assert head.body == b""
    for name in ("Content-Type", "Content-Length", "Content-Encoding", "ETag", "Last-Modified"):
        assert head.headers[name] == get.headers[name]


def test_head_sends_no_body_bytes(server: http.server.ThreadingHTTPServer) -> None:
    # on a raw socket: http.client never reads a HEAD body, so it would not notice one
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as client:
        client.sendall(b"HEAD /rss.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b"".join(iter(lambda: client.recv(65536), b""))
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert f"Content-Length: {len(FEED)}".encode() in head
    assert rest == b""


# Nothing outside the root, nothing hidden, no listings


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/../secret", 400),
        ("/%2e%2e/secret", 400),
        ("/%2E%2E/%2e%2e/secret", 400),
        ("/archive/../../secret", 400),
        ("/archive/..%2F..%2Fsecret", 400),
        ("/archive/..%2f..%2fsecret", 400),
        ("/archive/../rss.xml", 400),  # inside the root, but a `..` segment is refused all the same
        ("/archive/%2e%2e/rss.xml", 400),
        ("/archive%2F1%2Fatom.xml", 400),  # an encoded slash is refused even where it would find a file
        ("/%2Fetc%2Fpasswd", 400),
        ("/..%5C..%5Csecret", 400),
        ("/..\\secret", 400),
        ("/rss.xml%00.html", 400),
        ("/%C0%AE%C0%AE/secret", 400),  # not UTF-8 (an overlong `..`)
        ("/.feeds.lock", 404),
        ("/.feeds-manifest.json", 404),
        ("/%2efeeds-manifest.json", 404),
        ("/empty/.keep", 404),
    ],
)
def test_paths_that_escape_or_are_hidden_are_refused(
    server: http.server.ThreadingHTTPServer, path: str, status: int
) -> None:
    for method in ("GET", "HEAD"):
        reply = request(server, path, method=method)
        assert reply.status == status, method
        assert SECRET not in reply.body
        assert b'["rss.xml"]' not in reply.body


@pytest.mark.parametrize(
    ("link", "target", "path"),
    [
        ("leak.xml", "../secret", "/leak.xml"),
        ("outside", "..", "/outside/secret"),
        ("manifest.json", ".feeds-manifest.json", "/manifest.json"),
        (".alias", "archive/1", "/.alias/atom.xml"),
    ],
    ids=["file-outside", "folder-outside", "hidden-file-inside", "hidden-name-inside"],
)
def test_symbolic_links_out_of_the_root_or_to_hidden_files_are_404(
    server: http.server.ThreadingHTTPServer, root: Path, link: str, target: str, path: str
) -> None:
    (root / link).symlink_to(target)
    assert (root / link).exists()  # the link works; the server must still refuse it
    reply = request(server, path)
    assert reply.status == 404
    assert SECRET not in reply.body
    assert b'["rss.xml"]' not in reply.body


def test_symbolic_link_within_the_root_is_served(server: http.server.ThreadingHTTPServer, root: Path) -> None:
    (root / "latest.xml").symlink_to("archive/1/atom.xml")
    reply = request(server, "/latest.xml")
    assert reply.status == 200
    assert reply.body == (root / "archive" / "1" / "atom.xml").read_bytes()


def test_missing_file_is_404(server: http.server.ThreadingHTTPServer) -> None:
    assert request(server, "/nope.xml").status == 404
    assert request(server, "/rss.xml/").status == 404  # a file is not a folder


def test_folder_without_index_is_404_not_a_listing(server: http.server.ThreadingHTTPServer) -> None:
    for path in ("/archive/", "/archive/1/", "/tags"):
        reply = request(server, path)
        assert reply.status == 404
        assert b"atom.xml" not in reply.body and b"izyum" not in reply.body


def test_root_and_folders_serve_their_index(server: http.server.ThreadingHTTPServer, root: Path) -> None:
    (root / "archive" / "index.html").write_bytes(b"<p>archive</p>")
    (root / "tags" / "izyum" / "index.html").write_bytes(b"<p>izyum</p>")
    assert request(server, "/").body == (root / "index.html").read_bytes()
    assert request(server, "/").headers["Content-Type"] == "text/html; charset=utf-8"
    assert request(server, "/archive/").body == b"<p>archive</p>"
    moved = request(server, "/archive?page=2")  # so that the page's relative links resolve
    assert moved.status == 301
    assert moved.headers["Location"] == "/archive/?page=2"
    assert request(server, "//tags//izyum").headers["Location"] == "/tags/izyum/"  # `//x` is a host


def test_other_methods_are_refused(server: http.server.ThreadingHTTPServer, root: Path) -> None:
    reply = request(server, "/rss.xml", method="DELETE")
    assert reply.status == 501
    assert (root / "rss.xml").exists()


# Starting, logging, stopping


def test_binds_to_127_0_0_1_by_default(root: Path) -> None:
    with make_server(root, port=0) as server:
        assert server.server_address[0] == "127.0.0.1"


def test_a_missing_folder_or_a_busy_port_is_a_config_error(root: Path) -> None:
    with pytest.raises(ConfigError, match="not a folder to serve"):
        make_server(root / "missing", port=0)
    with make_server(root, port=0) as first, pytest.raises(ConfigError, match="cannot listen"):
        make_server(root, port=first.server_port)


def test_logs_one_line_per_request(
    server: http.server.ThreadingHTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    request(server, "/rss.xml")
    request(server, "/missing.xml")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert '"GET /rss.xml HTTP/1.1" 200' in lines[0]
    assert '"GET /missing.xml HTTP/1.1" 404' in lines[1]


@pytest.mark.parametrize("log", [True, False])
def test_serve_logs_only_when_asked_and_returns_on_ctrl_c(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], log: bool
) -> None:
    replies: list[Reply] = []

    def one_request_then_ctrl_c(self: http.server.ThreadingHTTPServer, poll_interval: float = 0.5) -> None:
        client = threading.Thread(target=lambda: replies.append(request(self, "/feed.json")))
        client.start()
        self.handle_request()
        client.join(5)
        raise KeyboardInterrupt

    monkeypatch.setattr(http.server.ThreadingHTTPServer, "serve_forever", one_request_then_ctrl_c)
    try:
        serve(root, port=0, log=log)
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped serve(); it should return cleanly")
    assert [reply.status for reply in replies] == [200]
    err = capsys.readouterr().err
    if log:
        assert "serving" in err and "http://127.0.0.1:" in err
        assert '"GET /feed.json HTTP/1.1" 200' in err
    else:
        assert err == ""


def test_a_client_that_hangs_up_leaves_no_traceback(
    server: http.server.ThreadingHTTPServer, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "huge.bin").write_bytes(b"\x00" * (32 << 20))  # more than the socket buffers hold
    server.daemon_threads = False  # so server_close below waits for the handler to finish
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as client:
        client.sendall(b"GET /huge.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert client.recv(12) == b"HTTP/1.1 200"
        # close with a reset, at once, while the server is still writing
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.shutdown()
    server.server_close()
    err = capsys.readouterr().err
    assert '"GET /huge.bin HTTP/1.1" 200' in err
    assert "Traceback" not in err
    assert "Error" not in err
