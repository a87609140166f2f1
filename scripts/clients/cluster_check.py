#!/usr/bin/env python3
"""Cluster check: lists every ticket through each node given (all pages) and compares what they
hold: every node of a cluster must list the same tickets in the same states. With --expect-keys
PREFIX:FIRST-LAST it also checks that the tickets created with idempotency keys PREFIX<FIRST> to
PREFIX<LAST> all exist (none lost). Last stdout line: {"nodes": {...: count}, "agree": bool, "missing": [...]}.
Exit status 1 when the nodes disagree or an expected ticket is missing."""

import sys

from ringdesk_common import APIError, call, client, summary, warn
import argparse


def all_tickets(node):
    tickets, cursor = {}, None
    with client(node) as http:
        for _ in range(10_000):
            params = {"limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = call(http, "GET", "/v1/tickets", params=params)
            for ticket in page["tickets"]:
                tickets[ticket["id"]] = ticket
            cursor = page.get("next_cursor")
            if not cursor:
                break
    return tickets


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", required=True, help="HOST:PORT,HOST:PORT,... of the nodes to compare")
    p.add_argument("--expect-keys", help="PREFIX:FIRST-LAST: tickets created with idempotency keys PREFIX<FIRST>..PREFIX<LAST>")
    args = p.parse_args()
    nodes = [n.strip() for n in args.nodes.split(",") if n.strip()]
    views = {}
    for node in nodes:
        try:
            views[node] = all_tickets(node)
        except (APIError, OSError, Exception) as error:  # a node that cannot list is a failed check
            warn(f"{node}: {error}")
            views[node] = None
    listed = [v for v in views.values() if v is not None]
    agree = len(listed) == len(nodes) and all(
        {i: t["status"] for i, t in v.items()} == {i: t["status"] for i, t in listed[0].items()} for v in listed)
    missing = []
    if args.expect_keys and listed:
        prefix, span = args.expect_keys.rsplit(":", 1)
        first, last = (int(x) for x in span.split("-"))
        keys = {t.get("idempotency_key") for t in listed[0].values()}
        missing = [f"{prefix}{n}" for n in range(first, last + 1) if f"{prefix}{n}" not in keys]
    summary({"nodes": {n: (len(v) if v is not None else None) for n, v in views.items()}, "agree": agree, "missing": missing})
    sys.exit(0 if agree and not missing else 1)


if __name__ == "__main__":
    main()
