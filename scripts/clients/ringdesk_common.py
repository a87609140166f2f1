"""Shared bits of the Ringdesk example clients: the --node option, an HTTP/2 (h2c, prior
knowledge) httpx client with bounded timeouts, the API's {code, message} errors, and the one-line
JSON summary every script prints last."""

import argparse
import json
import os
import sys

import httpx

DEFAULT_NODE = os.environ.get("RINGDESK_NODE", "127.0.0.1:7600")
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class APIError(Exception):
    """A non-2xx answer, carrying the API's stable `code` and human `message`."""

    def __init__(self, method, path, status, code, message):
        super().__init__(f"{method} {path} -> {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--node", default=DEFAULT_NODE,
                   help="HOST:PORT of the node (default: env RINGDESK_NODE or 127.0.0.1:7600)")
    return p


def client(node, timeout=TIMEOUT):
    """Cleartext HTTP/2 with prior knowledge: the node speaks no HTTP/1.1."""
    base = node if "://" in node else f"http://{node}"
    return httpx.Client(base_url=base, http1=False, http2=True, timeout=timeout)


def check(response):
    """Returns the decoded JSON body of a 2xx response; raises APIError otherwise."""
    if response.is_success:
        return response.json() if response.content else {}
    try:
        body = response.json()
        code, message = body.get("code", "?"), body.get("message", "")
    except ValueError:
        code, message = "non_json_error", response.text[:200]
    raise APIError(response.request.method, response.request.url.raw_path.decode(), response.status_code, code, message)


def call(http, method, path, **kwargs):
    return check(http.request(method, path, **kwargs))


def warn(text):
    print(text, file=sys.stderr, flush=True)


def summary(obj):
    """The last stdout line: one JSON object describing what the script did."""
    print(json.dumps(obj, sort_keys=True), flush=True)
