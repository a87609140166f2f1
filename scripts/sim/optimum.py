#!/usr/bin/env python3
"""Offline optimum of a Ringdesk trace: an upper bound on first-response SLA attainment.

Reads a trace (docs/routing.md) and prints, as its last line, one JSON object:
  {"method", "exact", "met", "tickets", "attainment", "seconds", ...}
where `met` is a proven upper bound on the number of tickets whose work can start by their
first-response due time under ANY policy that knows the whole future (and exactly that number
when "exact" is true).

Model (time-indexed, slots of DELTA seconds):
  * Each agent is `capacity` servers; agents with the same skills, languages, tier and shifts
    are pooled (identical servers). A server starts a ticket only on shift and finishes it even
    after the shift ends; eligibility is the widest any policy uses: the language, the tier, and
    every required skill at min_level - proficiency_relaxation (never below 1); any region.
  * Rounding: arrivals, due times and shift starts are rounded down to the grid, shift ends up,
    handling times down. Any real schedule maps to a schedule of the rounded instance with the
    same on-time tickets (floor(s_i)+floor(p_i) <= floor(s_i+p_i) <= floor(s_j)), so the rounded
    problem is a relaxation; on a trace already on the grid it is the same problem. Starting
    every ticket as early as possible is without loss, so starts are on the grid.
  * Variable x[j,q,K] = ticket j starts on pool q at a slot of its start group K (consecutive
    allowed slots in [release, due]; one slot per group for short windows, several for long
    windows such as green tickets' 4 h, to keep the model small).
  * Capacity: for every pool and window W (each single slot, and windows of 2G slots every G
    slots for each group size G used), sum of x times the least time the ticket surely spends
    in W (minimum over the group's start slots) <= servers * |W|. Every feasible schedule
    satisfies these, so the LP optimum, the MILP optimum and HiGHS' MILP dual bound are all
    valid upper bounds. With one slot per group the MILP is the exact problem (for traces on
    the grid) because intervals on identical servers with overlap <= m can be given m servers.
Unmet tickets are left out (they would only take capacity).
"""
import argparse
import json
import math
import sys
import time


def primary(tag):
    return tag.split("-", 1)[0].lower()


def can_serve(agent, ticket, relaxation):
    tiers = {"l1": 0, "l2": 1, "expert": 2}
    if tiers[agent.get("tier", "l1")] < tiers[ticket.get("tier", "l1")]:
        return False
    languages = agent.get("languages", [])
    if languages and primary(ticket["language"]) not in {primary(l) for l in languages}:
        return False
    skills = agent.get("skills", {})
    for req in ticket.get("required_skills", []):
        if skills.get(req["skill"], 0) < max(1, req["min_level"] - relaxation):
            return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trace")
    parser.add_argument("--proficiency-relaxation", type=int, default=1)
    parser.add_argument("--delta", type=float, default=60.0, help="slot length in seconds")
    parser.add_argument("--max-starts", type=int, default=6,
                        help="start groups per ticket and pool at most (1 slot per group below this)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds for the MILP (0: LP bound only)")
    parser.add_argument("--lp-time-limit", type=float, default=300.0, help="seconds for the LP relaxation")
    parser.add_argument("--lp-method", default="highs-ipm", help="highs, highs-ds or highs-ipm")
    args = parser.parse_args()
    try:
        import numpy as np
        from scipy.optimize import linprog, milp, LinearConstraint, Bounds
        from scipy.sparse import csr_matrix
    except ImportError as error:
        print(f"optimum.py needs numpy and scipy (python3 -m pip install scipy): {error}", file=sys.stderr)
        sys.exit(2)

    began = time.monotonic()
    with open(args.trace) as f:
        trace = json.load(f)
    D = args.delta
    agents, tickets = trace["agents"], trace["tickets"]
    if not tickets:
        print(json.dumps({"method": "empty trace", "exact": True, "met": 0, "tickets": 0, "attainment": 1.0, "seconds": 0}))
        return

    on_grid = True

    def down(v):
        nonlocal on_grid
        if abs(v / D - round(v / D)) > 1e-9:
            on_grid = False
        return int(math.floor(v / D + 1e-9))

    # Pools of identical servers.
    pools, pool_of = [], {}
    for a in agents:
        key = (tuple(sorted(a.get("skills", {}).items())), tuple(sorted({primary(l) for l in a.get("languages", [])})),
               a.get("tier", "l1"), tuple(tuple(s) for s in a["shifts"]))
        if key not in pool_of:
            pool_of[key] = len(pools)
            allowed = set()
            for start, end in a["shifts"]:
                first = down(start)
                last = int(math.ceil(end / D - 1e-9)) - 1
                allowed.update(range(first, last + 1))
            pools.append({"agent": a, "servers": 0, "allowed": allowed})
        pools[pool_of[key]]["servers"] += a.get("capacity", 1)

    # Variables.
    cols_ticket, cols_pool, cols_first, cols_last, cols_p = [], [], [], [], []
    group_sizes = set()
    max_slot = 0
    for j, t in enumerate(tickets):
        r = down(t["arrival_s"])
        due = t["arrival_s"] + t.get("first_response_target_s", 0)
        d = down(due)
        p = down(t["handling_s"])
        window = d - r + 1
        g = 1 if window <= args.max_starts else int(math.ceil(window / args.max_starts))
        for q, pool in enumerate(pools):
            if not can_serve(pool["agent"], t, args.proficiency_relaxation):
                continue
            groups = {}
            for s in range(r, d + 1):
                if s in pool["allowed"]:
                    groups.setdefault((s - r) // g, []).append(s)
            for slots in groups.values():
                # Split at gaps (shift breaks) so that each group is a run of consecutive slots.
                run = [slots[0]]
                for s in slots[1:] + [None]:
                    if s is not None and s == run[-1] + 1:
                        run.append(s)
                        continue
                    cols_ticket.append(j); cols_pool.append(q)
                    cols_first.append(run[0]); cols_last.append(run[-1]); cols_p.append(p)
                    group_sizes.add(run[-1] - run[0] + 1)
                    max_slot = max(max_slot, run[-1] + p + 1)
                    if s is not None:
                        run = [s]
    n = len(cols_ticket)
    exact_model = on_grid and group_sizes <= {1}
    if n == 0:
        print(json.dumps({"method": "no ticket can be met", "exact": True, "met": 0, "tickets": len(tickets),
                          "attainment": 0.0, "seconds": round(time.monotonic() - began, 2)}))
        return

    # Capacity rows: windows per pool.
    windows = [(1, 1)]  # (length, step)
    for G in sorted(group_sizes):
        if G > 1:
            windows.append((2 * G, G))
    rows, cols, vals, caps = [], [], [], []
    row_index = {}

    def row(q, a, length):
        key = (q, a, length)
        if key not in row_index:
            row_index[key] = len(caps)
            caps.append(pools[q]["servers"] * length)
        return row_index[key]

    def overlap(s, p, a, b):
        return max(0, min(s + p, b) - max(s, a))

    for v in range(n):
        q, A, B, p = cols_pool[v], cols_first[v], cols_last[v], cols_p[v]
        if p <= 0:
            continue
        for length, step in windows:
            # Windows [a, a+length) with a multiple of step that can overlap [A, B+p).
            a0 = ((A - length + 1) // step) * step
            for a in range(max(0, a0), B + p, step):
                c = min(overlap(A, p, a, a + length), overlap(B, p, a, a + length))
                if c > 0:
                    rows.append(row(q, a, length)); cols.append(v); vals.append(c)
    m_cap = len(caps)
    # One start per ticket.
    for v in range(n):
        rows.append(m_cap + cols_ticket[v]); cols.append(v); vals.append(1)
    A_ub = csr_matrix((vals, (rows, cols)), shape=(m_cap + len(tickets), n))
    b_ub = np.array(caps + [1] * len(tickets), dtype=float)
    c = -np.ones(n)
    built = time.monotonic() - began
    print(f"optimum.py: {n} variables, {A_ub.shape[0]} rows, {A_ub.nnz} nonzeros, built in {built:.1f}s", file=sys.stderr)

    lp = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=(0, 1), method=args.lp_method, options={"time_limit": args.lp_time_limit})
    if lp.status != 0:
        print(f"optimum.py: LP failed: {lp.message}", file=sys.stderr)
        sys.exit(3)
    bound = -lp.fun
    result = {"lp_bound": round(bound, 3), "variables": n, "rows": int(A_ub.shape[0]), "pools": len(pools),
              "build_seconds": round(built, 2)}
    method = "time-indexed LP relaxation (HiGHS), upper bound"
    exact = False
    if args.time_limit > 0 and math.floor(bound + 1e-6) > 0:
        res = milp(c, constraints=LinearConstraint(A_ub, -np.inf, b_ub), integrality=np.ones(n),
                   bounds=Bounds(0, 1), options={"time_limit": args.time_limit, "disp": False})
        dual = getattr(res, "mip_dual_bound", None)
        if res.status == 0 and res.x is not None:
            bound = min(bound, -res.fun)
            result["milp"] = "optimal"
            exact = exact_model
            method = ("time-indexed MILP (HiGHS), exact optimum" if exact
                      else "time-indexed MILP of a relaxation (HiGHS, solved), upper bound")
        elif dual is not None and math.isfinite(dual):
            bound = min(bound, -dual)
            result["milp"] = f"stopped ({res.message}); dual bound used"
            if res.x is not None:
                result["milp_incumbent"] = round(-res.fun, 3)
            method = "time-indexed MILP dual bound (HiGHS, time limit), upper bound"
    met = math.floor(bound + 1e-6)
    result.update({"method": method, "exact": exact, "met": met, "tickets": len(tickets),
                   "attainment": met / len(tickets), "seconds": round(time.monotonic() - began, 2)})
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
