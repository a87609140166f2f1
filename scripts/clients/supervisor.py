#!/usr/bin/env python3
"""Supervisor view: lists tickets in a status (default queued), following next_cursor page by page,
then prints the node's live KPIs (GET /v1/kpis) as a small table.
Last stdout line: {"listed": N, "pages": P, "status": "...", "kpis": {"ticket_count": .., "resolved": .., ...}}.
Exit status 1 on any non-2xx answer or connection error."""

import httpx

from ringdesk_common import APIError, call, client, parser, summary, warn


def fmt(value, unit=""):
    if value is None:
        return "-"
    return f"{value:.1f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def main():
    p = parser("List tickets and show KPIs.")
    p.add_argument("--status", default="queued", help="comma-separated statuses (default: queued)")
    p.add_argument("--page-size", type=int, default=100, help="tickets per page (1-500)")
    p.add_argument("--max-pages", type=int, default=1000, help="stop after this many pages")
    args = p.parse_args()
    listed, pages = 0, 0
    try:
        with client(args.node) as http:
            params = {"status": args.status, "limit": args.page_size}
            print(f"{'ticket':<16} {'status':<12} {'urgency':<7} {'category':<10} {'channel':<7} {'queue':<12} created")
            while pages < args.max_pages:
                page = call(http, "GET", "/v1/tickets", params=params)
                pages += 1
                for t in page["tickets"]:
                    listed += 1
                    print(f"{t['id']:<16} {t['status']:<12} {t['urgency']:<7} {t['category']:<10} "
                          f"{t['channel']:<7} {t['queue']:<12} {t['created_at']}")
                if "next_cursor" not in page:
                    break
                params["cursor"] = page["next_cursor"]
            print(f"{listed} ticket(s) with status {args.status} in {pages} page(s)\n")
            report = call(http, "GET", "/v1/kpis")
    except (APIError, httpx.TransportError) as error:
        warn(f"error from {args.node}: {error}")
        summary({"listed": listed, "pages": pages, "status": args.status, "errors": 1})
        return 1
    o = report["overall"]
    frt, res = o["first_response_time"], o["resolution_time"]
    kpis = {"ticket_count": o["ticket_count"], "resolved": res["count"], "responded": frt["count"],
            "backlog": o["backlog"], "resolution_rate_pct": o.get("resolution_rate_pct"),
            "first_response_sla_pct": o.get("first_response_sla_pct"), "csat_average": o.get("csat_average")}
    rows = [("tickets (in memory)", fmt(o["ticket_count"])),
            ("resolved or closed", fmt(res["count"])),
            ("resolution rate", fmt(o.get("resolution_rate_pct"), " %")),
            ("first response p50 / p90", f"{fmt(frt.get('p50'), ' s')} / {fmt(frt.get('p90'), ' s')}"),
            ("resolution p50 / p90", f"{fmt(res.get('p50'), ' s')} / {fmt(res.get('p90'), ' s')}"),
            ("first-response SLA met", fmt(o.get("first_response_sla_pct"), " %")),
            ("resolution SLA met", fmt(o.get("resolution_sla_pct"), " %")),
            ("CSAT average", fmt(o.get("csat_average"))),
            ("backlog green/yellow/red", "/".join(str(o["backlog"][u]) for u in ("green", "yellow", "red"))),
            ("utilisation", fmt(o.get("utilisation_pct"), " %"))]
    print(f"KPIs at {report['generated_at']}")
    for label, value in rows:
        print(f"  {label:<26} {value:>16}")
    by_category = {name: m["ticket_count"] for name, m in sorted(report["by_category"].items()) if m["ticket_count"]}
    print("  by category: " + (", ".join(f"{k} {v}" for k, v in by_category.items()) or "-"))
    summary({"listed": listed, "pages": pages, "status": args.status, "errors": 0, "kpis": kpis})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
