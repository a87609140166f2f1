#!/usr/bin/env python3
"""Agent desk: signs an agent in (PUT /v1/agents/{id}, presence available), receives offers from the
NDJSON offer stream (or by long-poll with --poll), accepts each one, starts work and resolves it.
Stops after --count tickets or --deadline seconds, then signs the agent out (presence offline).
Last stdout line: {"agent": ID, "handled": N, "skipped": S, "errors": E, "mode": "stream"|"poll", ...}.
Exit status 1 when it handled fewer than --count tickets or an event failed."""

import json
import queue
import threading
import time

import httpx

from ringdesk_common import APIError, call, check, client, parser, summary, warn

HEARTBEAT_GRACE = 20.0  # the node sends a heartbeat line every 15 s


def stream_offers(node, agent, lines, stop):
    """Background reader: puts each offered ticket (or an APIError) on `lines`; reconnects on drops."""
    timeout = httpx.Timeout(10.0, connect=5.0, read=HEARTBEAT_GRACE)
    with client(node, timeout) as http:
        while not stop.is_set():
            try:
                with http.stream("GET", f"/v1/agents/{agent}/offers/stream") as response:
                    if not response.is_success:  # e.g. 404 agent_not_found: nothing to retry
                        response.read()
                        try:
                            check(response)
                        except APIError as error:
                            lines.put(error)
                        return
                    for line in response.iter_lines():
                        if line.strip():
                            message = json.loads(line)
                            if message.get("type") == "offer":
                                lines.put(message["ticket"])
            except httpx.TransportError as error:
                if not stop.is_set():
                    warn(f"offer stream dropped ({error!r}); reconnecting")
                    time.sleep(0.5)


def main():
    p = parser("Work tickets as one agent.")
    p.add_argument("--agent", default="py-agent", help="agent id")
    p.add_argument("--name", default="Example Agent")
    p.add_argument("--skill", action="append", default=[], metavar="NAME=LEVEL")
    p.add_argument("--language", action="append", default=[], help="languages spoken (default: any)")
    p.add_argument("--region", action="append", default=[], help="regions served")
    p.add_argument("--tier", default="l1", choices=["l1", "l2", "expert"])
    p.add_argument("--count", type=int, default=10, help="tickets to handle before stopping")
    p.add_argument("--deadline", type=float, default=120, help="seconds before giving up")
    p.add_argument("--poll", action="store_true", help="long-poll GET /offers instead of the stream")
    args = p.parse_args()
    end = time.monotonic() + args.deadline
    skills = {name: int(level or 1) for name, _, level in (s.partition("=") for s in args.skill)}
    actor = {"kind": "agent", "id": args.agent}
    stats = {"agent": args.agent, "mode": "poll" if args.poll else "stream", "handled": 0, "skipped": 0, "errors": 0, "ticket_ids": []}
    stop, lines = threading.Event(), queue.Queue()
    with client(args.node) as http:
        try:
            call(http, "PUT", f"/v1/agents/{args.agent}", json={"name": args.name, "skills": skills, "languages": args.language,
                                                                "regions": args.region, "support_tier": args.tier})
            call(http, "PUT", f"/v1/agents/{args.agent}/presence", json={"presence": "available"})
        except (APIError, httpx.TransportError) as error:
            warn(f"sign-in at {args.node} failed: {error}")
            stats["errors"] += 1
            summary(stats)
            return 1
        if not args.poll:
            threading.Thread(target=stream_offers, args=(args.node, args.agent, lines, stop), daemon=True).start()
        seen = set()
        while stats["handled"] < args.count and (left := end - time.monotonic()) > 0:
            try:
                if args.poll:
                    wait = max(1, min(20, int(left)))
                    offers = call(http, "GET", f"/v1/agents/{args.agent}/offers", params={"wait": wait},
                                  timeout=httpx.Timeout(wait + 10.0, connect=5.0))["offers"]
                else:
                    item = lines.get(timeout=left)
                    if isinstance(item, Exception):
                        raise item
                    offers = [item]
            except queue.Empty:
                break
            except (APIError, httpx.TransportError) as error:
                warn(f"receiving offers failed: {error}")
                stats["errors"] += 1
                break
            for ticket in offers:
                tid = ticket["id"]
                if tid in seen or stats["handled"] >= args.count:
                    continue
                seen.add(tid)
                try:
                    call(http, "POST", f"/v1/agents/{args.agent}/offers/{tid}/accept")
                except APIError as error:  # e.g. offer_expired, not_offered_to_agent: not ours any more
                    warn(f"{tid}: accept refused: {error}")
                    stats["skipped"] += 1
                    continue
                except httpx.TransportError as error:
                    warn(f"{tid}: accept failed: {error}")
                    stats["errors"] += 1
                    continue
                try:
                    call(http, "POST", f"/v1/tickets/{tid}/events", json={"type": "start_work", "actor": actor})
                    done = call(http, "POST", f"/v1/tickets/{tid}/events",
                                json={"type": "resolve", "note": "Handled by the example agent desk.", "actor": actor})
                except (APIError, httpx.TransportError) as error:
                    warn(f"{tid}: {error}")
                    stats["errors"] += 1
                    continue
                stats["handled"] += 1
                stats["ticket_ids"].append(tid)
                print(f"{tid}  {done['status']:<8}  {done['urgency']:<6}  {done['category']:<9}  {done['channel']}", flush=True)
        stop.set()
        try:  # sign out so the node stops offering work to this desk
            call(http, "PUT", f"/v1/agents/{args.agent}/presence", json={"presence": "offline"})
        except (APIError, httpx.TransportError) as error:
            warn(f"sign-out failed: {error}")
    if stats["handled"] < args.count:
        warn(f"handled {stats['handled']} of {args.count} tickets before the deadline")
    summary(stats)
    return 0 if stats["handled"] >= args.count and not stats["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
