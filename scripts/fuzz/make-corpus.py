#!/usr/bin/env python3
"""Writes the seed corpus for the HTTP/2 server fuzz target (scripts/fuzz/h2-server).

Each file is the byte stream a client sends on one connection (client preface included unless the
case is about the preface). Valid conversations are produced with the `h2` package (a real client
state machine); invalid ones are assembled frame by frame, with `hpack` for header blocks.
The output is deterministic: running it twice gives the same files.

    python3 scripts/fuzz/make-corpus.py            # (re)write Tests/fuzz-corpus/h2-server/
    python3 scripts/fuzz/make-corpus.py --check    # exit 1 if the committed files differ
    python3 scripts/fuzz/make-corpus.py --out DIR

The harness's routes (Sources/RingdeskHTTP2/HTTP2FuzzHarness.swift): GET /health, POST /echo,
GET /items/{id}, POST /async (x-fail: http|other), GET /stream/{count}[?fail=1]; limits: 8
concurrent streams, 2048-byte header lists, 2048-byte bodies, 16384-byte frames.
"""
import argparse
import os
import struct
import sys

try:
    import h2.config
    import h2.connection
    import h2.settings
    import hpack
except ImportError:  # pragma: no cover
    sys.exit("make-corpus.py needs the h2 package: python3 -m pip install 'h2>=4'")

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types and flags (RFC 9113 §6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20


def frame(kind, flags, stream, payload=b"", length=None):
    """One frame; `length` overrides the length field (for truncated or lying frames)."""
    n = len(payload) if length is None else length
    return struct.pack(">I", n)[1:] + bytes([kind, flags]) + struct.pack(">I", stream & 0xFFFFFFFF) + payload


def settings(*pairs, flags=0):
    return frame(SETTINGS, flags, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def window_update(stream, increment):
    return frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", increment))


def block(headers):
    """A fresh HPACK encoder per block keeps each block self-contained and deterministic."""
    return hpack.Encoder().encode(headers)


def request(method, path, extra=()):
    return [(":method", method), (":scheme", "http"), (":authority", "fuzz.local"), (":path", path), *extra]


def client(local_settings=None):
    config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
    conn = h2.connection.H2Connection(config=config)
    if local_settings:
        conn.local_settings = h2.settings.Settings(client=True, initial_values=local_settings)
    conn.initiate_connection()
    return conn


# --- valid conversations (h2 state machine) ---------------------------------------------------

def valid_get():
    c = client()
    c.send_headers(1, request("GET", "/health"), end_stream=True)
    return c.data_to_send()


def post_with_body():
    c = client()
    body = b'{"subject":"printer on fire","priority":"high"}' * 4
    c.send_headers(1, request("POST", "/echo", [("content-type", "application/json"), ("content-length", str(len(body)))]))
    c.send_data(1, body[:70])
    c.send_data(1, body[70:], end_stream=True)
    return c.data_to_send()


def many_streams():
    # 12 requests: more than the 8 concurrent streams the server allows, all routes.
    c = client()
    paths = [("GET", "/health"), ("GET", "/items/42?x=1&y=%20z"), ("POST", "/async"), ("GET", "/stream/2"),
             ("GET", "/nope"), ("DELETE", "/health"), ("GET", "/items/a%2Fb"), ("POST", "/echo")]
    for i in range(12):
        method, path = paths[i % len(paths)]
        c.send_headers(1 + 2 * i, request(method, path), end_stream=True)
    return c.data_to_send()


def async_routes():
    c = client()
    c.send_headers(1, request("POST", "/async"))
    c.send_data(1, b"hello async", end_stream=True)
    c.send_headers(3, request("POST", "/async", [("x-fail", "http")]), end_stream=True)
    c.send_headers(5, request("POST", "/async", [("x-fail", "boom")]), end_stream=True)
    return c.data_to_send()


def streaming_backpressure():
    # A tiny initial window makes the streaming route block; WINDOW_UPDATEs release it later.
    c = client({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 100})
    c.send_headers(1, request("GET", "/stream/8"), end_stream=True)
    c.send_headers(3, request("GET", "/stream/3?fail=1"), end_stream=True)
    out = c.data_to_send()
    out += settings(flags=ACK)
    out += window_update(1, 4000) + window_update(3, 4000) + window_update(0, 10000)
    return out


def trailers_and_reset():
    c = client()
    c.send_headers(1, request("POST", "/echo"))
    c.send_data(1, b"part one;")
    c.send_headers(1, [("x-checksum", "abc")], end_stream=True)
    c.send_headers(3, request("GET", "/stream/5"), end_stream=True)
    c.reset_stream(3)
    c.ping(b"12345678")
    c.close_connection()
    return c.data_to_send()


def body_too_large():
    c = client()
    # Limit 2048: one request declares too much, the other sends too much without declaring it.
    c.send_headers(1, request("POST", "/echo", [("content-length", "3000")]))
    c.send_data(1, b"x" * 100)
    c.send_headers(3, request("POST", "/echo"))
    for _ in range(3):
        c.send_data(3, b"y" * 800)
    c.end_stream(3)
    return c.data_to_send()


# --- invalid byte streams (hand-made frames) ---------------------------------------------------

def bad_preface():
    return b"GET / HTTP/1.1\r\nHost: fuzz.local\r\n\r\n"


def truncated_frame():
    hb = block(request("GET", "/health"))
    full = frame(HEADERS, END_STREAM | END_HEADERS, 1, hb)
    return PREFACE + settings() + full[: 9 + len(hb) // 2]


def oversized_header_block():
    # ~2.5 KB of header list (limit 2048), split over HEADERS + CONTINUATION frames.
    hb = block(request("GET", "/health", [("x-big", "v" * 2500)]))
    out = PREFACE + settings()
    out += frame(HEADERS, END_STREAM, 1, hb[:1000])
    out += frame(CONTINUATION, 0, 1, hb[1000:2000])
    out += frame(CONTINUATION, END_HEADERS, 1, hb[2000:])
    return out


def continuation_flood():
    hb = block(request("GET", "/health", [("x-a", "a" * 30)]))
    out = PREFACE + settings() + frame(HEADERS, END_STREAM, 1, hb[:5])
    pieces = [hb[i:i + 3] for i in range(5, len(hb), 3)] + [b""] * 10
    for piece in pieces:
        out += frame(CONTINUATION, 0, 1, piece)
    return out


def invalid_stream_id():
    hb = block(request("GET", "/health"))
    out = PREFACE + settings()
    out += frame(HEADERS, END_STREAM | END_HEADERS, 2, hb)        # even (server-initiated) id
    out += frame(HEADERS, END_STREAM | END_HEADERS, 0, hb)        # stream 0
    out += frame(HEADERS, END_STREAM | END_HEADERS, 7, hb)
    out += frame(HEADERS, END_STREAM | END_HEADERS, 5, hb)        # id goes backwards
    out += frame(DATA, END_STREAM, 9, b"data on idle stream")
    return out


def window_overflow():
    hb = block(request("POST", "/echo"))
    out = PREFACE + settings()
    out += frame(HEADERS, END_HEADERS, 1, hb)
    out += window_update(1, 0x7FFFFFFF) + window_update(1, 0x7FFFFFFF)   # stream window > 2^31-1
    out += window_update(0, 0x7FFFFFFF) + window_update(0, 0x7FFFFFFF)   # connection window too
    out += window_update(0, 0)                                            # zero increment
    return out


def bad_settings():
    out = PREFACE
    out += settings((0x2, 2))                      # ENABLE_PUSH must be 0 or 1
    out += settings((0x4, 0x80000000))             # INITIAL_WINDOW_SIZE above 2^31-1
    out += settings((0x5, 100))                    # MAX_FRAME_SIZE below 16384
    out += frame(SETTINGS, 0, 0, b"\x00\x01\x00")  # length not a multiple of 6
    out += frame(SETTINGS, ACK, 0, b"\x00" * 6)    # ACK with payload
    return out


def bad_hpack_and_frames():
    out = PREFACE + settings()
    out += frame(HEADERS, END_STREAM | END_HEADERS, 1, b"\xff\xff\xff\xff\x0f")    # index out of range
    out += frame(HEADERS, END_STREAM | END_HEADERS, 3, block([(":path", "/health")]))  # no :method
    out += frame(HEADERS, END_STREAM | END_HEADERS | PADDED, 5, b"\xf0" + block(request("GET", "/health")))  # pad > payload
    out += frame(0xEE, 0, 1, b"unknown frame type")
    out += frame(PING, 0, 0, b"short")
    out += frame(PRIORITY, 0, 7, struct.pack(">IB", 7, 16))                     # depends on itself
    out += frame(RST_STREAM, 0, 0, struct.pack(">I", 8))
    out += frame(PUSH_PROMISE, END_HEADERS, 1, struct.pack(">I", 2) + block(request("GET", "/")))
    out += frame(DATA, 0, 1, b"z" * 20, length=20000)                            # over max frame size
    return out


def content_length_mismatch():
    out = PREFACE + settings()
    out += frame(HEADERS, END_HEADERS, 1, block(request("POST", "/echo", [("content-length", "5")])))
    out += frame(DATA, END_STREAM, 1, b"much more than five bytes")
    out += frame(HEADERS, END_STREAM | END_HEADERS, 3, block(request("POST", "/echo", [("content-length", "-1")])))
    out += frame(HEADERS, END_STREAM | END_HEADERS, 5, block(request("GET", "/health", [("Upper-Case", "x")])))
    return out


def ping_settings_flood():
    out = PREFACE + settings()
    for i in range(40):
        out += frame(PING, 0, 0, struct.pack(">Q", i)) + settings((0x3, 10 + i))
    out += frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0) + b"bye")
    return out


CASES = {
    "valid-get": valid_get,
    "valid-post-body": post_with_body,
    "valid-many-streams": many_streams,
    "valid-async-routes": async_routes,
    "valid-streaming-backpressure": streaming_backpressure,
    "valid-trailers-reset-goaway": trailers_and_reset,
    "valid-body-too-large": body_too_large,
    "bad-preface": bad_preface,
    "bad-truncated-frame": truncated_frame,
    "bad-oversized-header-block": oversized_header_block,
    "bad-continuation-flood": continuation_flood,
    "bad-invalid-stream-id": invalid_stream_id,
    "bad-window-overflow": window_overflow,
    "bad-settings": bad_settings,
    "bad-hpack-and-frames": bad_hpack_and_frames,
    "bad-content-length": content_length_mismatch,
    "bad-ping-settings-flood": ping_settings_flood,
}


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(root, "Tests", "fuzz-corpus", "h2-server"))
    parser.add_argument("--check", action="store_true", help="compare with the files in --out instead of writing")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    stale = 0
    total = 0
    for name, make in CASES.items():
        data = bytes(make())
        if len(data) > 16384:
            sys.exit(f"{name}: {len(data)} bytes, above the fuzzer's -max_len=16384")
        total += len(data)
        path = os.path.join(args.out, name)
        if args.check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == data
            except FileNotFoundError:
                same = False
            if not same:
                print(f"differs: {path}", file=sys.stderr)
                stale += 1
        else:
            with open(path, "wb") as f:
                f.write(data)
    verb = "checked" if args.check else "wrote"
    print(f"make-corpus: {verb} {len(CASES)} inputs, {total} bytes, in {args.out}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
