#!/usr/bin/env python3
"""Schemathesis against docs/openapi.yaml on a live Ringdesk node (driven by scripts/chaos/api-fuzz).

    api_fuzz.py --node 127.0.0.1:PORT [--short] [--seed N] [--max-examples N] [--workers N]

1. Waits for the node's /ready, then seeds a little data over HTTP/2 (an agent, available, a few
   tickets, one offered and accepted, one backup) so that path parameters can hit real ids: the
   spec copy Schemathesis reads carries them as `example`s of the path parameters.
2. Starts the HTTP/1.1 -> HTTP/2 bridge (h1_bridge.py: Schemathesis sends with `requests`, the
   node speaks h2 only) and runs `st run` through it with a fixed seed, every phase (examples,
   coverage, fuzzing, stateful), positive and negative data, and these checks on every response:
   not_a_server_error, status_code_conformance, content_type_conformance,
   response_headers_conformance, response_schema_conformance.
   Left out: the node-to-node routes (/internal/...), the never-ending NDJSON streams
   (/v1/dashboard/stream, /v1/agents/{id}/offers/stream, /v1/echo/stream), and
   POST /v1/admin/replication/drain (an operator action that hands every group away and would
   leave the rest of the run testing a draining node). The long-poll GET /v1/agents/{id}/offers is
   tested with `wait` capped at 1 s in the spec copy.
3. Asks /ready again (the node must still answer), prints Schemathesis's report, the node's answers
   by status, and as its last line one JSON object:
   {"requests", "server_errors", "schema_violations", "transport_errors", "unsendable", "failures",
    "operations", "seed", "node_ready", "seconds", ...}
   `requests` and `server_errors` are counted by the bridge (every answer the node gave, 5xx among
   them); `schema_violations` is the number of distinct conformance failures Schemathesis found.
Exit status: 0 when there was no 5xx, no violation and the node is ready at the end; 1 otherwise.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import httpx
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h1_bridge import Bridge  # noqa: E402

CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance"]
# Schemathesis's failure types (`failures[].type` in its JSON report) that mean "the answer breaks
# its documented schema"; ServerError and ContentTypeServerError are the 5xx ones.
SCHEMA_FAILURES = {"UndefinedStatusCode", "UndefinedContentType", "MissingContentType", "MalformedMediaType",
                   "MissingHeaders", "JsonSchemaError", "MalformedJson", "ContentDeserializationError",
                   "DiscriminatorMismatch"}
SERVER_FAILURES = {"ServerError", "ContentTypeServerError"}
EXCLUDED_PATHS = r"^/internal/|/stream$|^/v1/admin/replication/drain$"


def log(text):
    print(text, file=sys.stderr, flush=True)


def wait_ready(http, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            if http.get("/ready").status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def seed_data(http):
    """An agent (available, refunds and returns), four tickets; the first offered to the agent and
    accepted, one backup. Returns the ids the spec copy uses as examples."""
    def ok(response):
        if response.status_code >= 300:
            raise SystemExit(f"seeding: {response.request.method} {response.request.url.path} -> "
                             f"{response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}

    agent = "fuzz-agent"
    ok(http.put(f"/v1/agents/{agent}", json={
        "name": "Fuzz Agent", "languages": ["en"], "regions": ["eu-west"],
        "skills": {"refunds": 4, "returns": 3, "complaints": 3, "general": 3}}))
    ok(http.put(f"/v1/agents/{agent}/presence", json={"presence": "available"}))
    tickets = []
    for index, category in enumerate(["refund", "return", "complaint", "inquiry"]):
        created = ok(http.post("/v1/tickets", headers={"idempotency-key": f"fuzz-seed-{index}"}, json={
            "category": category, "channel": "email", "subject": f"Seeded {category} {index}",
            "body": "Seeded by scripts/chaos/api-fuzz.",
            "customer": {"id": f"C-FUZZ-{index}", "tier": "standard", "order_id": f"O-FUZZ-{index}",
                         "order_value": 50 + index, "language": "en", "region": "eu-west"}}))
        tickets.append(created["id"])
    offered = ok(http.get(f"/v1/agents/{agent}/offers", params={"wait": 2}))
    offers = offered.get("offers", [])
    if offers:
        ok(http.post(f"/v1/agents/{agent}/offers/{offers[0]['id']}/accept"))
    backup = ok(http.post("/v1/admin/backups"))
    return {"agent": agent, "tickets": tickets, "offered": offers[0]["id"] if offers else tickets[0],
            "backup": os.path.basename(backup.get("path", "")) or None}


def spec_copy(path, ids, directory):
    """The spec with real ids as path-parameter examples and the long-poll's wait capped at 1 s."""
    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    parameters = spec.get("components", {}).get("parameters", {})
    examples = {"TicketID": ids["tickets"][1], "AgentID": ids["agent"], "OfferTicketID": ids["offered"]}
    for name, example in examples.items():
        if name in parameters:
            parameters[name]["example"] = example
    for template, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter:
                    continue
                if template == "/v1/admin/backups/{name}" and parameter.get("name") == "name" and ids.get("backup"):
                    parameter["example"] = ids["backup"]
                if template == "/v1/agents/{id}/offers" and parameter.get("name") == "wait":
                    parameter["schema"] = dict(parameter.get("schema", {}), maximum=1)
    out = os.path.join(directory, "openapi.yaml")
    with open(out, "w", encoding="utf-8") as handle:
        yaml.safe_dump(spec, handle, sort_keys=False, allow_unicode=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--node", required=True, help="HOST:PORT of the node (h2c)")
    parser.add_argument("--spec", default=os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.yaml"))
    parser.add_argument("--short", action="store_true", help="the CI run: a few hundred requests")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--max-examples", type=int, help="test cases per operation and phase (default 100, --short 8)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-time", type=int, help="Schemathesis's time budget in seconds (default 1800, --short 75)")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--work-dir", help="where the spec copy and reports go (default: a temp dir)")
    args = parser.parse_args()
    max_examples = args.max_examples or (8 if args.short else 100)
    max_time = args.max_time or (75 if args.short else 1800)

    started = time.monotonic()
    base = f"http://{args.node}"
    work = os.path.abspath(args.work_dir or tempfile.mkdtemp(prefix="ringdesk-api-fuzz."))
    http = httpx.Client(base_url=base, http1=False, http2=True, timeout=httpx.Timeout(20.0, connect=5.0))
    if not wait_ready(http, 60):
        raise SystemExit(f"node {args.node} not ready")
    ids = seed_data(http)
    log(f"api-fuzz: seeded agent {ids['agent']}, tickets {', '.join(ids['tickets'])}, backup {ids['backup']}")
    spec = spec_copy(args.spec, ids, work)

    bridge = Bridge(base, timeout=20.0, trace=os.path.join(work, "requests.ndjson")).start()
    report = os.path.join(work, "report.json")
    command = ["st", "--no-color", "run", spec, "--url", f"http://127.0.0.1:{bridge.port}",
               "--seed", str(args.seed), "--max-examples", str(max_examples), "--workers", str(args.workers),
               "--phases", args.phases, "--mode", "all", "--checks", ",".join(CHECKS), "--continue-on-failure",
               "--exclude-path-regex", EXCLUDED_PATHS, "--request-timeout", "25", "--generation-database", "none",
               "--suppress-health-check", "all", "--output-truncate", "true",
               "--report", "json,junit", "--report-json-path", report, "--report-dir", work]
    if max_time:
        command += ["--max-time", str(max_time)]
    log("api-fuzz: " + " ".join(command))
    # In the work dir: Schemathesis keeps a crash cache (.schemathesis/) in its working directory.
    st = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=work)
    bridge.stop()
    print(st.stdout, end="", file=sys.stderr)

    ready = wait_ready(http, 10)
    stats = bridge.stats.snapshot()
    try:
        with open(report, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as error:
        raise SystemExit(f"schemathesis wrote no report ({error}); exit {st.returncode}")
    failures = document.get("failures", [])
    schema_violations = sum(f["count"] for f in failures if f["type"] in SCHEMA_FAILURES)
    server_failures = sum(f["count"] for f in failures if f["type"] in SERVER_FAILURES)
    other = sum(f["count"] for f in failures if f["type"] not in SCHEMA_FAILURES | SERVER_FAILURES)
    errors = sum(e["count"] for e in document.get("errors", []))

    print("node answers by status: " + ", ".join(f"{s}: {n}" for s, n in stats["by_status"].items()))
    for sample in stats["server_error_samples"][:10]:
        print(f"  5xx: {sample['request']} -> {sample['status']} {sample['body']}"
              + (f" (headers sent: {sample['headers']})" if sample.get("headers") else ""))
    for failure in failures:
        print(f"  failure: {failure['title']} ({failure['code']}) x{failure['count']} in {', '.join(failure['operations'])}")
    for error in document.get("errors", []):
        print(f"  error: {error['title']} x{error['count']}")
    operations = document.get("operations") or {}
    summary = {
        "requests": stats["requests"], "server_errors": stats["server_errors"],
        "schema_violations": schema_violations, "other_failures": other, "errors": errors,
        "transport_errors": stats["transport_errors"], "unsendable": stats["unsendable"],
        "test_cases": document.get("test_cases", {}).get("generated"),
        "operations": operations.get("tested"), "seed": args.seed, "max_examples": max_examples,
        "schemathesis": document.get("schemathesis_version"), "stop_reason": document.get("stop_reason"),
        "node_ready": ready, "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary))
    bad = stats["server_errors"] or server_failures or schema_violations or other or errors or not ready or stats["requests"] == 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
