"""The emulator's HTTP/1.1 handling on the wire: keep-alive, chunked bodies, HEAD, bad input."""

from __future__ import annotations

import http.client
import json
import socket

from batchsync.emulator import Emulator

AUTH = {"Authorization": "token t"}
REPO = "o/r"  # the emu fixture's (tests/conftest.py); no token, so it accepts any


def raw_exchange(emu: Emulator, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65_536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_many_requests_share_one_connection(emu):
    conn = http.client.HTTPConnection("127.0.0.1", emu.port)
    for _ in range(5):
        conn.request("GET", "/repos/o/r", headers=AUTH)
        answer = conn.getresponse()
        assert answer.status == 200
        answer.read()
    sock = conn.sock
    conn.request("GET", "/rate_limit", headers=AUTH)
    conn.getresponse().read()
    assert conn.sock is sock
    conn.close()


def test_chunked_request_body_is_read(emu):
    conn = http.client.HTTPConnection("127.0.0.1", emu.port)
    body = json.dumps({"title": "chunked"}).encode()
    conn.request(
        "POST",
        "/repos/o/r/issues",
        body=iter([body[:5], body[5:]]),
        headers=AUTH,
        encode_chunked=True,
    )
    answer = conn.getresponse()
    assert answer.status == 201
    assert json.loads(answer.read())["title"] == "chunked"


def test_head_answers_headers_without_a_body(emu):
    conn = http.client.HTTPConnection("127.0.0.1", emu.port)
    conn.request("HEAD", "/repos/o/r", headers=AUTH)
    answer = conn.getresponse()
    assert answer.status == 200
    assert int(answer.getheader("content-length")) > 0
    assert answer.read() == b""


def test_http_1_0_without_keep_alive_is_closed_after_the_answer(emu):
    reply = raw_exchange(emu, b"GET /repos/o/r HTTP/1.0\r\nAuthorization: token t\r\n\r\n")
    head = reply.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 200")
    assert b"connection: close" in head


def test_garbage_gets_400_and_a_closed_connection(emu):
    reply = raw_exchange(emu, b"NONSENSE\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400")


def test_invalid_json_body_is_400(emu):
    conn = http.client.HTTPConnection("127.0.0.1", emu.port)
    conn.request("POST", "/repos/o/r/issues", body=b"{not json", headers=AUTH)
    answer = conn.getresponse()
    assert answer.status == 400
    assert json.loads(answer.read())["message"] == "Problems parsing JSON"


def test_no_content_answers_carry_no_content_type(emu):
    conn = http.client.HTTPConnection("127.0.0.1", emu.port)
    conn.request("POST", "/repos/o/r/labels", body=b'{"name": "x"}', headers=AUTH)
    conn.getresponse().read()
    conn.request("DELETE", "/repos/o/r/labels/x", headers=AUTH)
    answer = conn.getresponse()
    assert answer.status == 204
    assert answer.getheader("content-type") is None
    assert answer.read() == b""
