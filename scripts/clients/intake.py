#!/usr/bin/env python3
"""Intake channel: opens N after-sales tickets (a seeded mix of categories, channels and customer
tiers), each with an Idempotency-Key. A create that hits a connection error is retried once with the
same key, so the node returns the ticket it already made (200) instead of a duplicate.
`--simulate-lost-replies K` throws away the first K answers as if the connection dropped after the
node received the request, to show that retry is safe.
Last stdout line: {"created": N, "replayed": R, "retries": K, "retry_same_ticket": K, "errors": E, "ticket_ids": [...]}.
Exit status 1 on any non-2xx answer or unrecoverable connection error."""

import random
import uuid

import httpx

from ringdesk_common import APIError, check, client, parser, summary, warn

CATEGORIES = ["return", "exchange", "refund", "repair", "complaint", "inquiry", "logistics"]
CHANNELS = ["phone", "chat", "email", "social", "sms", "app"]
SUBJECTS = {"return": "Return label for order {o}", "exchange": "Exchange size for order {o}",
            "refund": "Refund for order {o} not received", "repair": "Device from order {o} stopped charging",
            "complaint": "Courier was rude delivering {o}", "inquiry": "Warranty question about {o}",
            "logistics": "Parcel {o} stuck in transit"}


def draft(rng, i, args):
    category, channel = rng.choice(CATEGORIES), rng.choice(CHANNELS)
    order = f"O-{rng.randrange(10000, 99999)}"
    body = {"category": category, "channel": channel, "subject": SUBJECTS[category].format(o=order),
            "body": f"Sent by the example intake (ticket {i}).",
            "customer": {"id": f"C-{rng.randrange(1, 500)}", "tier": "vip" if rng.random() < 0.2 else "standard",
                         "language": args.language, "region": args.region, "order_id": order,
                         "order_value": round(rng.uniform(5, 900), 2)}}
    if args.skill:
        name, _, level = args.skill.partition(":")
        body["required_skills"] = [{"skill": name, "min_level": int(level or 1)}]
    return body


def main():
    p = parser("Open a batch of after-sales tickets.")
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--skill", help="NAME:LEVEL every ticket requires (e.g. refunds:2)")
    p.add_argument("--language", default="en")
    p.add_argument("--region", default="eu-west")
    p.add_argument("--run-id", default=uuid.uuid4().hex[:12], help="prefix of the idempotency keys; reuse it to replay a run")
    p.add_argument("--simulate-lost-replies", type=int, default=0, metavar="K")
    args = p.parse_args()
    rng = random.Random(args.seed)
    stats = {"created": 0, "replayed": 0, "retries": 0, "retry_same_ticket": 0, "errors": 0, "ticket_ids": []}
    with client(args.node) as http:
        for i in range(args.count):
            headers = {"Idempotency-Key": f"{args.run_id}-{i}", "X-Ringdesk-Intake": "example-intake"}
            body = draft(rng, i, args)
            lost_id, retried = None, False
            try:
                for attempt in (1, 2):
                    try:
                        response = http.post("/v1/tickets", json=body, headers=headers)
                        if attempt == 1 and i < args.simulate_lost_replies:
                            lost_id = response.json().get("id")
                            raise httpx.RemoteProtocolError("simulated: reply lost after the node got the request")
                        break
                    except httpx.TransportError as error:
                        if attempt == 2:
                            raise
                        stats["retries"] += 1
                        retried = True
                        warn(f"ticket {i}: {error}; retrying once with the same Idempotency-Key")
                ticket = check(response)
            except (APIError, httpx.TransportError) as error:
                stats["errors"] += 1
                warn(f"ticket {i}: error from {args.node}: {error}")
                continue
            if lost_id is not None:
                same = lost_id == ticket["id"]
                stats["retry_same_ticket"] += same
                warn(f"ticket {i}: retry answered {response.status_code} with {'the same' if same else 'a DIFFERENT'} ticket {ticket['id']}")
            # 200 means the key was seen before: by our own lost attempt, or by an earlier run.
            stats["created" if response.status_code == 201 or retried else "replayed"] += 1
            stats["ticket_ids"].append(ticket["id"])
            print(f"{ticket['id']}  {ticket['urgency']:<6}  {ticket['category']:<9}  {ticket['channel']:<6}  "
                  f"first response due {ticket['sla']['first_response_due']}", flush=True)
    summary(stats)
    return 1 if stats["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
