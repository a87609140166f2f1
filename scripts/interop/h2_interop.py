#!/usr/bin/env python3
"""Interop and hostile-input checks against a Ringdesk HTTP/2 server, from independent clients.

Usage: h2_interop.py HOST PORT [CHECK ...]      (no checks = all)

Uses Python's `h2` (a sans-IO HTTP/2 implementation) and `httpx` from PyPI, plus raw sockets for
malformed input. Every malformed-input check asserts two things: the offending connection is closed
by the server, and a fresh connection is still served. Prints one JSON object as the last line:
{"passed": [...], "failed": {"name": "reason"}}; exits 1 when anything failed.
"""
import json
import socket
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack
import httpx

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DEADLINE_S = 10.0


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


# ---------------------------------------------------------------- helpers over the h2 library

class H2Client:
    """A minimal blocking client on one connection, driven by the sans-IO `h2` state machine."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=DEADLINE_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 16 * 1024 * 1024,
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 2000,
        })
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(64 * 1024 * 1024)
        self.flush()
        self.responses = {}  # stream id -> {"status", "headers", "body", "ended", "reset"}
        self.closed = False

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, method, path, body=b"", headers=(), end=True):
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(":method", method), (":path", path), (":scheme", "http"), (":authority", "localhost")]
        hdrs += list(headers)
        if body:
            hdrs.append(("content-length", str(len(body))))
        self.conn.send_headers(sid, hdrs, end_stream=(not body and end))
        self.responses[sid] = {"status": None, "headers": {}, "body": bytearray(), "ended": False, "reset": None}
        if body:
            self.send_body(sid, body, end=end)
        self.flush()
        return sid

    def send_body(self, sid, body, end=True):
        view = memoryview(body)
        while view:
            window = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if window <= 0:
                self.flush()
                self.pump(until=lambda: self.conn.local_flow_control_window(sid) > 0)
                continue
            chunk = view[:window]
            self.conn.send_data(sid, bytes(chunk))
            view = view[len(chunk):]
            self.flush()
        if end:
            self.conn.end_stream(sid)
        self.flush()

    def pump(self, until, deadline_s=DEADLINE_S):
        deadline = time.monotonic() + deadline_s
        while not until():
            if time.monotonic() > deadline:
                raise CheckFailed("timed out waiting for the server")
            if self.closed:
                raise CheckFailed("connection closed unexpectedly")
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(1 << 20)
            if not data:
                self.closed = True
                continue
            for event in self.conn.receive_data(data):
                self.on_event(event)
            self.flush()

    def on_event(self, event):
        if isinstance(event, h2.events.ResponseReceived):
            r = self.responses[event.stream_id]
            r["headers"] = dict(event.headers)
            r["status"] = int(r["headers"][":status"])
        elif isinstance(event, h2.events.DataReceived):
            self.responses[event.stream_id]["body"] += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            self.responses[event.stream_id]["ended"] = True
        elif isinstance(event, h2.events.StreamReset):
            if event.stream_id in self.responses:
                self.responses[event.stream_id]["reset"] = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.closed = True

    def wait(self, sid):
        self.pump(lambda: self.responses[sid]["ended"] or self.responses[sid]["reset"] is not None)
        return self.responses[sid]

    def close(self):
        try:
            self.conn.close_connection()
            self.flush()
        except Exception:
            pass
        self.sock.close()


def frame(ftype, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", ftype, flags, sid & 0x7FFFFFFF) + payload


SETTINGS_EMPTY = frame(0x4, 0, 0, b"")


def headers_block(path="/health", method="GET", extra=()):
    encoder = hpack.Encoder()
    return encoder.encode([(":method", method), (":path", path), (":scheme", "http"), (":authority", "x")] + list(extra))


def raw_connection_closed_after(host, port, payload, half_close=False):
    """Sends raw bytes; True when the server closes the connection within the deadline."""
    sock = socket.create_connection((host, port), timeout=DEADLINE_S)
    try:
        sock.sendall(payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                return True
            except socket.timeout:
                return False
            if not data:
                return True
        return False
    finally:
        sock.close()


def still_serving(host, port):
    client = H2Client(host, port)
    try:
        sid = client.request("GET", "/health")
        response = client.wait(sid)
        expect(response["status"] == 200, f"health after hostile input answered {response['status']}")
    finally:
        client.close()


# ---------------------------------------------------------------- checks

def check_h2_basic(host, port):
    client = H2Client(host, port)
    try:
        body = b'{"ticket":"R-1","note":"hello"}'
        sid = client.request("POST", "/v1/echo", body=body, headers=[("content-type", "application/json")])
        response = client.wait(sid)
        expect(response["status"] == 200, f"status {response['status']}")
        expect(bytes(response["body"]) == body, "echo body differs")
    finally:
        client.close()


def check_h2_one_mib_body(host, port):
    client = H2Client(host, port)
    try:
        body = bytes((i * 7919) % 251 for i in range(1 << 20))
        sid = client.request("POST", "/v1/echo", body=body)
        response = client.wait(sid)
        expect(response["status"] == 200, f"status {response['status']}")
        expect(bytes(response["body"]) == body, f"1 MiB echo came back with {len(response['body'])} bytes or different content")
    finally:
        client.close()


def check_h2_streaming(host, port):
    client = H2Client(host, port)
    try:
        sid = client.request("GET", "/v1/echo/stream?count=50&interval_ms=2")
        response = client.wait(sid)
        expect(response["status"] == 200, f"status {response['status']}")
        lines = bytes(response["body"]).decode().strip().split("\n")
        expect(len(lines) == 50, f"expected 50 lines, got {len(lines)}")
        expect([json.loads(line)["seq"] for line in lines] == list(range(50)), "lines out of order")
    finally:
        client.close()


def check_h2_reset_mid_stream(host, port):
    """Reads part of a slow stream, resets it; the connection and server stay usable."""
    client = H2Client(host, port)
    try:
        sid = client.request("GET", "/v1/echo/stream?count=100000&interval_ms=5")
        client.pump(lambda: len(client.responses[sid]["body"]) > 0)
        client.conn.reset_stream(sid, error_code=8)  # CANCEL
        client.flush()
        sid2 = client.request("GET", "/health")
        response = client.wait(sid2)
        expect(response["status"] == 200, "same connection not usable after a reset")
        expect(not client.closed, "connection closed after a stream reset")
    finally:
        client.close()


def check_h2_thousand_streams(host, port):
    client = H2Client(host, port)
    try:
        client.pump(lambda: client.conn.remote_settings.max_concurrent_streams >= 1000, deadline_s=5)
        sids = []
        for i in range(1000):
            body = json.dumps({"i": i}).encode()
            sids.append((client.request("POST", "/v1/echo", body=body), body))
        client.flush()
        client.pump(lambda: all(client.responses[s]["ended"] or client.responses[s]["reset"] is not None for s, _ in sids), deadline_s=30)
        bad = [s for s, body in sids if client.responses[s]["status"] != 200 or bytes(client.responses[s]["body"]) != body]
        expect(not bad, f"{len(bad)} of 1000 concurrent streams failed")
    finally:
        client.close()


def check_httpx(host, port):
    with httpx.Client(http1=False, http2=True, base_url=f"http://{host}:{port}", timeout=DEADLINE_S) as client:
        r = client.get("/health")
        expect(r.status_code == 200 and r.http_version == "HTTP/2", f"health {r.status_code} {r.http_version}")
        body = b"x" * (1 << 20)
        r = client.post("/v1/echo", content=body)
        expect(r.status_code == 200 and r.content == body, "1 MiB echo over httpx failed")
        with client.stream("GET", "/v1/echo/stream", params={"count": 20}) as r:
            lines = [line for line in r.iter_lines() if line]
        expect(len(lines) == 20, f"httpx stream got {len(lines)} lines")
        r = client.get("/no/such/route")
        expect(r.status_code == 404 and r.json()["code"] == "not_found", "404 body is not {code, message}")
        r = client.post("/v1/echo", content=b"y" * (5 * 1024 * 1024))
        expect(r.status_code == 413 and r.json()["code"] == "payload_too_large", f"oversize body answered {r.status_code}")


def check_bad_preface(host, port):
    expect(raw_connection_closed_after(host, port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "server kept a connection with a bad preface")


def check_truncated_frame(host, port):
    payload = PREFACE + SETTINGS_EMPTY + frame(0x1, 0x5, 1, headers_block())[:12]
    expect(raw_connection_closed_after(host, port, payload, half_close=True), "truncated frame did not end the connection")


def check_invalid_stream_id(host, port):
    # Clients must open odd-numbered streams; stream 2 is a protocol error.
    payload = PREFACE + SETTINGS_EMPTY + frame(0x1, 0x5, 2, headers_block())
    expect(raw_connection_closed_after(host, port, payload), "HEADERS on an even stream id was accepted")


def check_oversized_headers(host, port):
    big = [("x-filler", "a" * 8000), ("x-filler2", "b" * 8000), ("x-filler3", "c" * 8000)]
    block = headers_block(extra=big)
    # Split over HEADERS + CONTINUATION to stay under the frame size.
    first, rest = block[:16000], block[16000:]
    payload = PREFACE + SETTINGS_EMPTY + frame(0x1, 0x1, 1, first) + frame(0x9, 0x4, 1, rest)
    expect(raw_connection_closed_after(host, port, payload), "a header list over the limit was accepted")


def check_hpack_bomb(host, port):
    # One 4 KiB entry in the dynamic table, then thousands of 1-byte references to it.
    encoder = hpack.Encoder()
    first = encoder.encode([(":method", "GET"), (":path", "/health"), (":scheme", "http"), (":authority", "x"), ("x-bomb", "z" * 4000)])
    block = first + bytes([0xBE]) * 4000  # index 62 = the newest dynamic entry
    payload = PREFACE + SETTINGS_EMPTY
    # Send in CONTINUATION-sized pieces.
    pieces = [block[i:i + 16000] for i in range(0, len(block), 16000)]
    for index, piece in enumerate(pieces):
        ftype = 0x1 if index == 0 else 0x9
        flags = (0x1 if index == 0 else 0) | (0x4 if index == len(pieces) - 1 else 0)
        payload += frame(ftype, flags, 1, piece)
    expect(raw_connection_closed_after(host, port, payload), "an HPACK bomb was accepted")


def check_window_overflow(host, port):
    payload = PREFACE + SETTINGS_EMPTY + frame(0x8, 0, 0, struct.pack(">I", 0x7FFFFFFF)) + frame(0x8, 0, 0, struct.pack(">I", 0x7FFFFFFF))
    expect(raw_connection_closed_after(host, port, payload), "connection window overflow was accepted")


def check_oversized_frame(host, port):
    payload = PREFACE + SETTINGS_EMPTY + frame(0x1, 0x4, 1, headers_block(method="POST", path="/v1/echo")) + frame(0x0, 0x1, 1, b"d" * 20000)
    expect(raw_connection_closed_after(host, port, payload), "a DATA frame over SETTINGS_MAX_FRAME_SIZE was accepted")


def check_garbage(host, port):
    payload = PREFACE + bytes((i * 131 + 7) % 256 for i in range(4096))
    expect(raw_connection_closed_after(host, port, payload), "random bytes after the preface were accepted")


def check_silent_peer(host, port):
    """A peer that connects and sends nothing is closed by the header-read timeout (bounded here)."""
    sock = socket.create_connection((host, port), timeout=DEADLINE_S)
    try:
        sock.settimeout(DEADLINE_S + 20)
        start = time.monotonic()
        while True:
            data = sock.recv(65536)
            if not data:
                break
            expect(time.monotonic() - start < DEADLINE_S + 20, "silent peer never closed")
    except (ConnectionResetError, socket.timeout):
        pass
    finally:
        sock.close()


CHECKS = {
    "h2_basic": check_h2_basic,
    "h2_one_mib_body": check_h2_one_mib_body,
    "h2_streaming": check_h2_streaming,
    "h2_reset_mid_stream": check_h2_reset_mid_stream,
    "h2_thousand_streams": check_h2_thousand_streams,
    "httpx": check_httpx,
    "bad_preface": check_bad_preface,
    "truncated_frame": check_truncated_frame,
    "invalid_stream_id": check_invalid_stream_id,
    "oversized_headers": check_oversized_headers,
    "hpack_bomb": check_hpack_bomb,
    "window_overflow": check_window_overflow,
    "oversized_frame": check_oversized_frame,
    "garbage": check_garbage,
}
HOSTILE = {"bad_preface", "truncated_frame", "invalid_stream_id", "oversized_headers",
           "hpack_bomb", "window_overflow", "oversized_frame", "garbage"}
EXTRA = {"silent_peer": check_silent_peer}


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    names = sys.argv[3:] or list(CHECKS)
    passed, failed = [], {}
    for name in names:
        check = CHECKS.get(name) or EXTRA.get(name)
        if check is None:
            failed[name] = "unknown check"
            continue
        try:
            check(host, port)
            if name in HOSTILE:
                still_serving(host, port)
            passed.append(name)
        except Exception as error:  # report every failure, keep going
            failed[name] = f"{type(error).__name__}: {error}"
    print(json.dumps({"passed": passed, "failed": failed}))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
