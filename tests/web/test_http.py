"""The web listener's plain HTTP: the page's files, and bad, big or slow requests bounded like slow IRC clients.

Raw requests on a socket, so the test sees exactly what the server sends;
h11 on the server side parses them.
"""

from __future__ import annotations

import socket
import time

import pytest

from tests.support.client import IrcClient
from tests.support.server import start_server


@pytest.fixture(scope="module")
def server():
    process = start_server("--web-port", "0", "--web-request-timeout", "1", "--web-max-request", "4096")
    yield process
    process.stop()
    assert "Traceback" not in process.log_text(), process.log_text()


def exchange(address: tuple[str, int], data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data`, read until the server closes."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def get(path: str, extra: str = "", method: str = "GET") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: chat.test\r\nConnection: close\r\n{extra}\r\n".encode()


def head_of(response: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}, body


def test_the_page_and_its_files_are_served_with_their_types(server):
    status, headers, body = head_of(exchange(server.web_address, get("/")))
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert b"<html" in body
    for path, kind in (("/chat.js", "text/javascript"), ("/chat.css", "text/css")):
        status, headers, body = head_of(exchange(server.web_address, get(path + "?v=1")))
        assert status == "HTTP/1.1 200 OK" and headers["content-type"].startswith(kind) and body


def test_unknown_paths_methods_and_a_cached_copy(server):
    assert head_of(exchange(server.web_address, get("/../setup.cfg")))[0] == "HTTP/1.1 404 Not Found"
    assert head_of(exchange(server.web_address, get("/", method="DELETE")))[0] == "HTTP/1.1 405 Method Not Allowed"
    status, headers, body = head_of(exchange(server.web_address, get("/", method="HEAD")))
    assert status == "HTTP/1.1 200 OK" and int(headers["content-length"]) > 0 and body == b""
    etag = headers["etag"]
    status, _, body = head_of(exchange(server.web_address, get("/", f"If-None-Match: {etag}\r\n")))
    assert status == "HTTP/1.1 304 Not Modified" and body == b""


def test_requests_on_one_kept_alive_connection(server):
    keep = b"GET /chat.css HTTP/1.1\r\nHost: chat.test\r\n\r\n"
    received = exchange(server.web_address, keep + keep + get("/"))
    assert received.count(b"HTTP/1.1 200 OK") == 3


@pytest.mark.parametrize("request_bytes, status", [
    (b"NOT HTTP AT ALL\r\n\r\n", "400 Bad Request"),
    (b"GET / HTTP/1.1\r\n\r\n", "400 Bad Request"),  # no Host
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n", "431 Request Header Fields Too Large"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 9000\r\n\r\n" + b"b" * 9000, "413 Request Entity Too Large"),
])
def test_a_bad_or_oversized_request_is_answered_and_closed(server, request_bytes, status):
    response = exchange(server.web_address, request_bytes)
    assert response.startswith(f"HTTP/1.1 {status}\r\n".encode())
    assert response.count(b"HTTP/1.1 ") == 1  # and nothing after it: closed


def test_a_slow_request_is_cut_off_at_the_request_timeout(server):
    """Bytes trickling in do not extend the timeout (1 s here): it runs from connect, like registration."""
    with socket.create_connection(server.web_address, timeout=10) as sock:
        started = time.monotonic()
        received = b""
        for byte in b"GET / HTTP/1.1\r\nHost: slow.test\r\n":
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.05)  # the trickle's pace, not an assertion
        while chunk := sock.recv(4096):
            received += chunk
        assert received.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert time.monotonic() - started < 5
    with socket.create_connection(server.web_address, timeout=10) as idle:
        assert idle.recv(4096) == b""  # nothing asked, nothing answered: closed


def test_a_refused_visitor_is_told_why(server_factory):
    server = server_factory("--web-port", "0", "--max-clients", "1")
    holder = IrcClient(server.address).register("holder")
    status, _, body = head_of(exchange(server.web_address, get("/")))
    assert status == "HTTP/1.1 503 Service Unavailable"
    assert body == b"503 Service Unavailable: Server is full\n"
    holder.close()
