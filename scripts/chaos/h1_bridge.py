"""A local HTTP/1.1 -> HTTP/2 (h2c, prior knowledge) bridge for tools that speak only HTTP/1.1.

A Ringdesk node speaks HTTP/2 only, and Schemathesis sends its requests with `requests` (HTTP/1.1).
The bridge listens on a loopback port, takes each HTTP/1.1 request and sends it unchanged (method,
raw path and query, headers, body) to the node with `httpx.Client(http1=False, http2=True)`, one
HTTP/2 connection per HTTP/1.1 connection (see `setup`), then writes the node's status, headers
and body back. It does what any HTTP/1.1 to HTTP/2 proxy must: hop-by-hop headers (`connection`,
`keep-alive`, `transfer-encoding`, ...) are dropped, field values lose surrounding whitespace
(RFC 9110 5.5: it is not part of the value), and `host` becomes `:authority`.

When the node cannot be reached, resets the stream or times out, the bridge answers 502 with the
header `x-bridge-error` and a JSON `{code, message}` body; such answers count as the node's failures
(a node that drops a request is broken). A request HTTP/2 cannot carry at all (a header field name
or value h2 refuses) never reaches the node: it is answered 400 with `x-bridge-error: unsendable`
and counted on its own, not against the node.

Every answer is tallied by status in `Bridge.stats` (thread-safe), an independent count of what the
node was asked and how it answered.
"""

import collections
import http.server
import json
import socketserver
import threading
import time

import h2.exceptions
import httpx

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
              "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host", "content-length"}


TOKEN = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")


def unsendable_header(headers):
    """Why HTTP/2 cannot carry these fields (RFC 9113 8.2.1: a name of lowercase token characters,
    a value without NUL, CR or LF), or None. Sent anyway, the node rightly resets the stream."""
    for name, value in headers:
        if not name or any(c not in TOKEN for c in name):
            return f"header name {name!r} is not a lowercase token"
        if any(c in value for c in "\x00\r\n"):
            return f"header {name} holds NUL, CR or LF"
    return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_status = collections.Counter()
        self.transport_errors = 0
        self.unsendable = 0
        self.server_error_samples = []

    def record(self, method, path, status, body=b"", bridge_error=None, headers=None):
        with self.lock:
            self.by_status[status] += 1
            if bridge_error == "unsendable":
                self.unsendable += 1
            elif bridge_error:
                self.transport_errors += 1
            if status >= 500 and bridge_error != "unsendable" and len(self.server_error_samples) < 50:
                self.server_error_samples.append({"request": f"{method} {path}"[:300], "status": status,
                                                  "body": body[:300].decode("utf-8", "replace"),
                                                  "bridge_error": bridge_error, "headers": headers})

    def snapshot(self):
        with self.lock:
            total = sum(self.by_status.values())
            return {"requests": total - self.unsendable,
                    "server_errors": sum(n for s, n in self.by_status.items() if s >= 500),
                    "transport_errors": self.transport_errors, "unsendable": self.unsendable,
                    "by_status": {str(s): n for s, n in sorted(self.by_status.items())},
                    "server_error_samples": list(self.server_error_samples)}


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class Bridge:
    """Serves on 127.0.0.1:`port` (0: the kernel picks; see `.port`) and forwards to `upstream`
    (`http://HOST:PORT`). `timeout` bounds each upstream request."""

    def __init__(self, upstream, port=0, timeout=30.0, trace=None):
        self.upstream = upstream.rstrip("/")
        # `trace`: a file that gets one JSON line per request (start, seconds, method, path, status).
        self.trace = open(trace, "a", encoding="utf-8") if trace else None
        self.trace_lock = threading.Lock()
        self.stats = Stats()
        self.timeout = httpx.Timeout(timeout, connect=5.0)
        bridge = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: the summary tells what happened
                pass

            def setup(self):
                super().setup()
                # One upstream HTTP/2 connection per HTTP/1.1 connection: httpx's synchronous
                # client is not safe to share between threads over HTTP/2 (streams stall until a
                # timeout, KeyErrors in its stream table), so each handler thread has its own.
                self.upstream_client = httpx.Client(http1=False, http2=True, timeout=bridge.timeout)

            def finish(self):
                try:
                    super().finish()
                finally:
                    self.upstream_client.close()

            def __getattr__(self, name):
                # Every method goes to the node (`QUERY`, `FOO`): the node, not the bridge, answers
                # what it does not serve.
                if name.startswith("do_"):
                    return lambda: bridge.forward(self)
                raise AttributeError(name)

        self.server = _Server(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="h1-bridge", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def forward(self, handler):
        method = handler.command
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        headers = [(name.lower(), value.strip()) for name, value in handler.headers.items()
                   if name.lower() not in HOP_BY_HOP]
        url = self.upstream + handler.path
        begun = time.time()
        try:
            refused = unsendable_header(headers)
            if refused:
                raise httpx.LocalProtocolError(refused)
            client = handler.upstream_client
            # The bytes as they came: http.server decodes header lines as latin-1, httpx would encode
            # str values as ASCII and refuse a UTF-8 value the node should see.
            raw = [(name.encode("ascii"), value.encode("latin-1")) for name, value in headers]
            response = client.send(client.build_request(method, url, headers=raw, content=body))
            content = response.content
        except (h2.exceptions.ProtocolError, httpx.LocalProtocolError, UnicodeEncodeError, httpx.InvalidURL) as error:
            # HTTP/2 cannot carry this request (e.g. a header h2 refuses); it never reached the node.
            self._trace(begun, method, handler.path, 400, "unsendable", body)
            self._answer(handler, 400, method, "unsendable", error, headers)
            return
        except httpx.HTTPError as error:
            self._trace(begun, method, handler.path, 502, type(error).__name__, body)
            self._answer(handler, 502, method, type(error).__name__, error, headers)
            return
        self._trace(begun, method, handler.path, response.status_code, body=body)
        self.stats.record(method, handler.path, response.status_code, content)
        handler.send_response(response.status_code)
        for name, value in response.headers.multi_items():
            if name.lower() in HOP_BY_HOP or name.lower() == "content-encoding":
                continue
            handler.send_header(name, value)
        handler.send_header("content-length", str(len(content)))
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(content)

    def _trace(self, begun, method, path, status, error=None, body=b""):
        if self.trace is None:
            return
        line = json.dumps({"start": round(begun, 3), "s": round(time.time() - begun, 3), "method": method,
                           "path": path[:200], "status": status, "error": error,
                           "body": body[:400].decode("utf-8", "replace")})
        with self.trace_lock:
            self.trace.write(line + "\n")
            self.trace.flush()

    def _answer(self, handler, status, method, kind, error, headers):
        body = json.dumps({"code": "bridge_" + ("unsendable" if kind == "unsendable" else "transport_error"),
                           "message": f"{type(error).__name__}: {error}"[:300]}).encode()
        self.stats.record(method, handler.path, status, body, bridge_error=kind, headers=headers)
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("x-bridge-error", kind)
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(body)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="HTTP/1.1 -> h2c bridge to a Ringdesk node")
    parser.add_argument("upstream", help="http://HOST:PORT of the node")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    running = Bridge(args.upstream, port=args.port).start()
    print(f"bridge: http://127.0.0.1:{running.port} -> {running.upstream}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print(json.dumps(running.stats.snapshot()))
        running.stop()
