#!/usr/bin/env python3
"""Validate Ringdesk's OpenAPI description and, optionally, a live node against it.

    check.py SPEC                              validate SPEC, list its operations
    check.py SPEC --against http://127.0.0.1:PORT
                                               also drive a node through a short scenario and validate
                                               every response (status documented, body matches schema)

The last line printed is one JSON object:
    {"valid": true, "operations": [["GET", "/v1/tickets/{id}"], ...],
     "checks": [...], "matched": N, "mismatches": [...]}        (checks/matched/mismatches with --against)
Exit status: 0 when the spec is valid (and every response matched), 1 otherwise, 2 on usage errors.

Needs: pyyaml, openapi-spec-validator; with --against also httpx[http2] and jsonschema
(`python3 -m pip install openapi-spec-validator pyyaml httpx[http2] jsonschema`).
"""

import argparse
import json
import sys
import uuid

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SPEC_URI = "urn:ringdesk:openapi"


def load_spec(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def validate_spec(spec):
    """Returns a list of error strings (empty when the spec is valid)."""
    try:
        from openapi_spec_validator import validate
    except ImportError:  # older releases
        from openapi_spec_validator import validate_spec as validate
    try:
        validate(spec)
    except Exception as error:  # the validator's own exception types vary by release
        return [f"{type(error).__name__}: {error}".splitlines()[0][:400]]
    return lint(spec)


def lint(value, path=""):
    """Catches YAML slips the validator accepts: a key with a null value (e.g. an unquoted comma in a
    flow mapping turning `description: a, b` into two keys) and schema keywords where a schema is due."""
    problems = []
    if isinstance(value, dict):
        for key, child in value.items():
            where = f"{path}/{key}"
            if child is None:
                problems.append(f"{where}: null value (unquoted comma or colon in a flow mapping?)")
            problems += lint(child, where)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            problems += lint(child, f"{path}/{index}")
    return problems


def operations(spec):
    result = []
    for path, item in (spec.get("paths") or {}).items():
        for method in METHODS:
            if method in item:
                result.append([method.upper(), path])
    return sorted(result, key=lambda op: (op[1], op[0]))


def pointer_escape(token):
    return token.replace("~", "~0").replace("/", "~1")


class Contract:
    """Looks up documented responses and validates bodies with jsonschema (draft 2020-12)."""

    def __init__(self, spec):
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        self.spec = spec
        self.validator_class = Draft202012Validator
        self.registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))

    def resolve(self, obj, pointer):
        """Follows OpenAPI `$ref`s of response objects (not schema refs); returns (obj, pointer)."""
        while isinstance(obj, dict) and "$ref" in obj:
            pointer = obj["$ref"].lstrip("#")
            obj = self.spec
            for token in pointer.strip("/").split("/"):
                obj = obj[token.replace("~1", "/").replace("~0", "~")]
        return obj, pointer

    def response(self, method, template, status):
        """The documented response object and its JSON pointer, or (None, why)."""
        item = self.spec["paths"].get(template)
        if item is None or method.lower() not in item:
            return None, f"{method} {template} is not documented"
        responses = item[method.lower()].get("responses", {})
        key = str(status)
        if key not in responses:
            key = "default" if "default" in responses else None
        if key is None:
            return None, f"status {status} is not documented for {method} {template} (documented: {sorted(responses)})"
        pointer = f"/paths/{pointer_escape(template)}/{method.lower()}/responses/{key}"
        return self.resolve(responses[key], pointer)

    def errors(self, schema_pointer, value):
        schema = {"$ref": f"{SPEC_URI}#{schema_pointer}"}
        validator = self.validator_class(schema, registry=self.registry)
        found = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in found[:5]]


def media_type(content, content_type):
    """Picks the documented media type matching the response's content-type."""
    bare = (content_type or "").split(";")[0].strip().lower()
    if bare in content:
        return bare
    if "*/*" in content:
        return "*/*"
    return None


class Scenario:
    def __init__(self, base, contract):
        import httpx

        self.base = base.rstrip("/")
        self.contract = contract
        self.client = httpx.Client(http1=False, http2=True, timeout=30.0)
        self.checks = []
        self.mismatches = []

    def check(self, method, template, path, *, expect, json_body=None, content=None, headers=None, ndjson_lines=None, response_ref=None):
        """Sends one request; records whether the answer is documented and matches its schema."""
        import httpx

        name = f"{method} {path}"
        problems = []
        try:
            if ndjson_lines is not None:
                response, body_lines = self._stream(method, path, headers, ndjson_lines)
            else:
                response = self.client.request(method, self.base + path, json=json_body, content=content, headers=headers)
                body_lines = None
        except httpx.HTTPError as error:
            self.mismatches.append({"request": name, "problems": [f"request failed: {error!r}"]})
            self.checks.append({"request": name, "status": None, "ok": False})
            return None
        if response.http_version != "HTTP/2":
            problems.append(f"answered over {response.http_version}")
        if response.status_code != expect:
            problems.append(f"status {response.status_code}, expected {expect}: {response.text[:300] if body_lines is None else ''}")
        if response_ref is not None:
            documented, pointer = self.contract.resolve({"$ref": response_ref}, "")
        else:
            documented, pointer = self.contract.response(method, template, response.status_code)
        if documented is None:
            problems.append(pointer)
        else:
            content_map = documented.get("content", {})
            ctype = response.headers.get("content-type", "")
            chosen = media_type(content_map, ctype) if content_map else None
            if content_map and chosen is None:
                problems.append(f"content-type {ctype!r} not documented (documented: {sorted(content_map)})")
            elif chosen is not None:
                schema_pointer = f"{pointer}/content/{pointer_escape(chosen)}/schema"
                for header in documented.get("headers", {}):
                    if header.lower() not in response.headers:
                        problems.append(f"documented header {header!r} missing")
                if chosen == "application/json":
                    try:
                        body = response.json()
                    except ValueError:
                        problems.append("body is not JSON")
                    else:
                        problems += self.contract.errors(schema_pointer, body)
                elif chosen == "application/x-ndjson":
                    lines = body_lines if body_lines is not None else [l for l in response.text.splitlines() if l]
                    for index, line in enumerate(lines):
                        try:
                            value = json.loads(line)
                        except ValueError:
                            problems.append(f"line {index} is not JSON")
                            continue
                        problems += [f"line {index}: {p}" for p in self.contract.errors(schema_pointer, value)]
                elif chosen == "text/plain":
                    if not response.text.strip():
                        problems.append("empty text body")
        self.checks.append({"request": name, "status": response.status_code, "ok": not problems})
        if problems:
            self.mismatches.append({"request": name, "problems": problems})
        return response

    def _stream(self, method, path, headers, want):
        """Reads up to `want` NDJSON lines (or an error body), then resets the stream."""
        with self.client.stream(method, self.base + path, headers=headers) as response:
            if response.status_code != 200:
                response.read()
                return response, None
            lines = []
            for line in response.iter_lines():
                if line:
                    lines.append(line)
                if len(lines) >= want:
                    break
            return response, lines

    def run(self):
        c = self.check
        c("GET", "/health", "/health", expect=200)
        c("GET", "/ready", "/ready", expect=200)
        c("POST", "/v1/echo", "/v1/echo", expect=200, content=b'{"ping":1}', headers={"content-type": "application/json"})
        c("POST", "/v1/echo-async", "/v1/echo-async", expect=200, content=b"raw bytes")
        c("GET", "/v1/echo/stream", "/v1/echo/stream?count=3&size=4", expect=200, ndjson_lines=3)
        c("GET", "/v1/echo/stream", "/v1/echo/stream?count=-1", expect=400)

        run = uuid.uuid4().hex[:8]
        draft = {
            "category": "refund",
            "channel": "chat",
            "subject": "Refund not received",
            "body": "Order returned two weeks ago.",
            "customer": {"id": f"C-{run}", "tier": "vip", "order_id": "O-1", "order_value": 129.5,
                         "language": "en", "region": "eu-west", "deadline": "2030-01-01T00:00:00Z"},
            # A skill only this run's agent has: the scenario also works against a node used before.
            "required_skills": [{"skill": f"billing-{run}", "min_level": 2}],
        }
        key = {"Idempotency-Key": f"contract-{run}"}
        created = c("POST", "/v1/tickets", "/v1/tickets", expect=201, json_body=draft, headers=key)
        c("POST", "/v1/tickets", "/v1/tickets", expect=200, json_body=draft, headers=key)
        ticket_id = created.json()["id"] if created is not None and created.status_code == 201 else "missing"
        if created is not None and created.headers.get("location") != f"/v1/tickets/{ticket_id}":
            self.mismatches.append({"request": "POST /v1/tickets", "problems": [f"location {created.headers.get('location')!r}"]})
        c("POST", "/v1/tickets", "/v1/tickets", expect=400, json_body={**draft, "priority": "high"})
        c("POST", "/v1/tickets", "/v1/tickets", expect=400, content=b"{not json", headers={"content-type": "application/json"})
        c("POST", "/v1/tickets", "/v1/tickets", expect=400, json_body={**draft, "subject": ""})
        c("GET", "/v1/tickets/{id}", f"/v1/tickets/{ticket_id}", expect=200)
        c("GET", "/v1/tickets/{id}/progress", f"/v1/tickets/{ticket_id}/progress", expect=200)
        c("GET", "/v1/tickets/{id}", "/v1/tickets/T-does-not-exist", expect=404)
        c("GET", "/v1/tickets/{id}", "/v1/tickets/" + "x" * 129, expect=400)
        c("GET", "/v1/tickets", "/v1/tickets?status=new,queued,offered&order=newest&limit=5", expect=200)
        c("GET", "/v1/tickets", "/v1/tickets?created_from=2020-01-01T00:00:00Z&category=refund&channel=chat", expect=200)
        if created is not None and created.status_code == 201:
            stamp = created.json()["created_at"]  # milliseconds, as responses carry them
            page = c("GET", "/v1/tickets", f"/v1/tickets?created_from={stamp}&customer_id=C-{run}", expect=200)
            if page is not None and page.status_code == 200 and [t["id"] for t in page.json()["tickets"]] != [ticket_id]:
                self.mismatches.append({"request": "GET /v1/tickets?created_from=…", "problems": ["the new ticket was not found by its own created_at"]})
        c("GET", "/v1/tickets", "/v1/tickets?limit=0", expect=400)
        c("GET", "/v1/tickets", "/v1/tickets?sort=asc", expect=400)
        c("GET", "/v1/tickets", "/v1/tickets?cursor=garbage", expect=400)
        c("DELETE", "/v1/tickets", "/v1/tickets", expect=405, response_ref="#/components/responses/MethodNotAllowed")
        c("GET", "/v1/nothing-here", "/v1/nothing-here", expect=404, response_ref="#/components/responses/RouteNotFound")

        # Events: an illegal transition, a comment, a bad body.
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=409, json_body={"type": "close"})
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=200,
          json_body={"type": "comment", "text": "Looking into it", "internal": True, "actor": {"kind": "supervisor", "id": "sup-1"}})
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=400, json_body={"type": "comment", "colour": "red"})
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=400, json_body={"type": "teleport"})
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=403,
          json_body={"type": "override_urgency", "urgency": "red", "actor": {"kind": "customer", "id": "c"}})
        c("POST", "/v1/tickets/{id}/events", "/v1/tickets/T-does-not-exist/events", expect=404, json_body={"type": "close"})
        c("POST", "/v1/tickets/{id}/feedback", f"/v1/tickets/{ticket_id}/feedback", expect=409, json_body={"rating": 5})

        # An agent takes the ticket: register, go available, receive the offer, accept, work, resolve.
        agent = f"agent-{run}"
        profile = {"name": "Ada", "regions": ["eu-west"], "languages": ["en"], "skills": {f"billing-{run}": 4},
                   "support_tier": "l2", "channel_capacity": {"phone": 0}}
        c("PUT", "/v1/agents/{id}", f"/v1/agents/{agent}", expect=201, json_body=profile)
        c("PUT", "/v1/agents/{id}", f"/v1/agents/{agent}", expect=200, json_body={**profile, "id": agent})
        c("PUT", "/v1/agents/{id}", f"/v1/agents/{agent}", expect=400, json_body={**profile, "id": "someone-else"})
        c("PUT", "/v1/agents/{id}", f"/v1/agents/{agent}", expect=400, json_body={**profile, "team": "x"})
        c("GET", "/v1/agents/{id}", f"/v1/agents/{agent}", expect=200)
        c("GET", "/v1/agents/{id}", "/v1/agents/nobody", expect=404)
        c("GET", "/v1/agents", "/v1/agents", expect=200)
        c("PUT", "/v1/agents/{id}/presence", f"/v1/agents/{agent}/presence", expect=200, json_body={"presence": "available"})
        c("PUT", "/v1/agents/{id}/presence", "/v1/agents/nobody/presence", expect=404, json_body={"presence": "away"})
        c("PUT", "/v1/agents/{id}/presence", f"/v1/agents/{agent}/presence", expect=400, json_body={"presence": "asleep"})
        polled = c("GET", "/v1/agents/{id}/offers", f"/v1/agents/{agent}/offers?wait=10", expect=200)
        c("GET", "/v1/agents/{id}/offers", f"/v1/agents/{agent}/offers?wait=61", expect=400)
        c("GET", "/v1/agents/{id}/offers", "/v1/agents/nobody/offers", expect=404)
        offered = polled is not None and polled.status_code == 200 and any(t.get("id") == ticket_id for t in polled.json().get("offers", []))
        if not offered:
            self.mismatches.append({"request": f"GET /v1/agents/{agent}/offers?wait=10", "problems": ["the ticket was not offered to the agent"]})
        c("GET", "/v1/agents/{id}/offers/stream", f"/v1/agents/{agent}/offers/stream", expect=200, ndjson_lines=1)
        c("GET", "/v1/agents/{id}/offers/stream", "/v1/agents/nobody/offers/stream", expect=404)
        c("POST", "/v1/agents/{id}/offers/{ticket_id}/accept", f"/v1/agents/nobody/offers/{ticket_id}/accept", expect=404)
        c("POST", "/v1/agents/{id}/offers/{ticket_id}/accept", f"/v1/agents/{agent}/offers/{ticket_id}/accept", expect=200)
        c("POST", "/v1/agents/{id}/offers/{ticket_id}/reject", f"/v1/agents/{agent}/offers/{ticket_id}/reject", expect=409)
        c("GET", "/v1/agents/{id}/assignments", f"/v1/agents/{agent}/assignments", expect=200)
        as_agent = {"kind": "agent", "id": agent}
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=403,
          json_body={"type": "start_work", "actor": {"kind": "agent", "id": "someone-else"}})
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=200, json_body={"type": "start_work", "actor": as_agent})
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=200,
          json_body={"type": "request_customer_info", "question": "Which bank account?", "actor": as_agent})
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=200,
          json_body={"type": "customer_reply", "text": "The usual one.", "actor": {"kind": "customer", "id": "c"}})
        c("POST", "/v1/tickets/{id}/events", f"/v1/tickets/{ticket_id}/events", expect=200,
          json_body={"type": "resolve", "note": "Refund re-sent.", "actor": as_agent})
        c("GET", "/v1/tickets/{id}/progress", f"/v1/tickets/{ticket_id}/progress", expect=200)
        c("POST", "/v1/tickets/{id}/feedback", f"/v1/tickets/{ticket_id}/feedback", expect=400, json_body={"rating": 9})
        c("POST", "/v1/tickets/{id}/feedback", f"/v1/tickets/{ticket_id}/feedback", expect=200, json_body={"rating": 2, "comment": "Slow."})
        c("POST", "/v1/tickets/{id}/feedback", f"/v1/tickets/{ticket_id}/feedback", expect=409, json_body={"rating": 4})
        c("GET", "/v1/tickets/{id}", f"/v1/tickets/{ticket_id}", expect=200)
        c("PUT", "/v1/agents/{id}/presence", f"/v1/agents/{agent}/presence", expect=200, json_body={"presence": "offline"})
        c("GET", "/v1/kpis", "/v1/kpis", expect=200)

        # Replicated shards (the contract node hosts a one-replica group set).
        shard = f"S-{run}"
        commands = "/v1/replication/groups/{group}/commands"
        c("GET", "/v1/replication/status", "/v1/replication/status", expect=200)
        c("POST", "/v1/admin/replication/drain", "/v1/admin/replication/drain", expect=202)
        members = "/v1/admin/replication/groups/{group}/members"
        c("POST", members, "/v1/admin/replication/groups/1/members", expect=400, json_body={"action": "add_learner", "node": 9})
        c("POST", members, "/v1/admin/replication/groups/1/members", expect=400, json_body={"action": "adopt", "node": 1})
        c("POST", members, "/v1/admin/replication/groups/1/members", expect=409, json_body={"action": "remove", "node": 1})
        c("POST", commands, "/v1/replication/groups/1/commands", expect=200,
          json_body={"op": "create", "ticket_id": shard, "idempotency_key": f"k-{run}", "payload": "p", "at": 1})
        c("POST", commands, "/v1/replication/groups/1/commands", expect=200,
          json_body={"op": "claim", "ticket_id": shard, "agent": "A", "epoch": 0, "lease_until": 10})
        c("POST", commands, "/v1/replication/groups/1/commands", expect=200,
          json_body={"op": "claim", "ticket_id": shard, "agent": "B", "epoch": 0, "lease_until": 10})
        c("POST", commands, "/v1/replication/groups/1/commands", expect=400, json_body={"op": "claim", "ticket_id": shard})
        c("POST", commands, "/v1/replication/groups/1/commands", expect=400, json_body={"op": "create", "ticket_id": shard, "colour": 1})
        c("POST", commands, "/v1/replication/groups/9/commands", expect=404, json_body={"op": "create", "ticket_id": shard})
        tickets = "/v1/replication/groups/{group}/tickets/{id}"
        c("GET", tickets, f"/v1/replication/groups/1/tickets/{shard}", expect=200)
        c("GET", tickets, f"/v1/replication/groups/1/tickets/{shard}?consistency=local", expect=200)
        c("GET", tickets, f"/v1/replication/groups/1/tickets/{shard}?consistency=eventual", expect=400)
        c("GET", tickets, "/v1/replication/groups/1/tickets/nothing", expect=404)
        # Another cluster protocol is refused; the refusal names the node's, which then gets past it.
        refused = c("POST", "/internal/raft", "/internal/raft", expect=409, content=b"\x00\x00\x00\x09garbage",
                    headers={"content-type": "application/octet-stream", "ringdesk-cluster-protocol": "0"})
        version = refused.headers.get("ringdesk-cluster-protocol", "") if refused is not None else ""
        c("POST", "/internal/raft", "/internal/raft", expect=400, content=b"\x00\x00\x00\x09garbage",
          headers={"content-type": "application/octet-stream", "ringdesk-cluster-protocol": version})
        c("GET", "/metrics", "/metrics", expect=200)
        self.client.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec")
    parser.add_argument("--against", metavar="URL", help="base URL of a running node (h2c prior knowledge)")
    args = parser.parse_args()

    spec = load_spec(args.spec)
    errors = validate_spec(spec)
    summary = {"valid": not errors, "operations": operations(spec)}
    if errors:
        summary["errors"] = errors
    ok = not errors
    if args.against and not errors:
        scenario = Scenario(args.against, Contract(spec))
        scenario.run()
        summary["checks"] = scenario.checks
        summary["matched"] = sum(1 for check in scenario.checks if check["ok"])
        summary["mismatches"] = scenario.mismatches
        ok = not scenario.mismatches
        for mismatch in scenario.mismatches:
            print(f"MISMATCH {mismatch['request']}: {'; '.join(mismatch['problems'])}", file=sys.stderr)
    for error in errors:
        print(f"INVALID {error}", file=sys.stderr)
    print(json.dumps(summary, separators=(",", ":")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
