/// The offline optimum of a small trace, exactly: the most tickets whose work can start by their
/// first-response due time, knowing the whole future. Each capacity unit of an agent is a server
/// that starts a ticket only on shift and may serve it if `Eligibility.canServe` with the
/// engine's widest relaxation (so the optimum bounds every policy). Tickets that cannot be met
/// are left out (they would only take capacity).
///
/// Why it is exact: for a fixed set of tickets on one server, only the order matters and starting
/// each as early as possible is without loss (start times are monotone in the predecessor's
/// finish). So `best[S]` = earliest finish of an all-on-time sequence of the set S on that server
/// is a DP over subsets (the last ticket of the sequence), and the servers share the tickets by a
/// DP over disjoint subsets. Cost O(servers · 3^n): for n ≤ 14 tickets.
public enum ExactOptimum {
    public static let maxTickets = 14

    /// Tickets met by the best schedule.
    public static func firstResponseMet(_ trace: Trace, proficiencyRelaxation: Int = 1) throws -> Int {
        let n = trace.tickets.count
        guard n <= maxTickets else {
            throw SimulationError(.tooLarge, "the exact optimum searches at most \(maxTickets) tickets, the trace has \(n)")
        }
        let full = (1 << n) - 1
        // Feasible all-on-time sets per agent (every capacity unit of an agent is alike).
        var feasibleByAgent: [[Bool]] = []
        for agent in trace.agents {
            var best = [Double](repeating: .infinity, count: full + 1)
            best[0] = -.infinity
            let eligible = trace.tickets.map { Eligibility.canServe(agent, $0, proficiencyRelaxation: proficiencyRelaxation) }
            for mask in 0...full where best[mask] < .infinity {
                for j in 0..<n where mask & (1 << j) == 0 && eligible[j] {
                    let ticket = trace.tickets[j]
                    guard let start = earliestStart(agent, notBefore: max(best[mask], ticket.arrival)),
                          start <= ticket.firstResponseDue else { continue }
                    let next = mask | (1 << j)
                    best[next] = min(best[next], start + ticket.handling)
                }
            }
            feasibleByAgent.append(best.map { $0 < .infinity })
        }
        // h[M]: most met using the servers so far, tickets from M only.
        var h = [Int](repeating: 0, count: full + 1)
        for (a, agent) in trace.agents.enumerated() {
            let feasible = feasibleByAgent[a]
            for _ in 0..<min(agent.capacity, n) {
                var next = h
                for mask in 0...full {
                    var sub = mask
                    while sub > 0 {
                        if feasible[sub] { next[mask] = max(next[mask], sub.nonzeroBitCount + h[mask & ~sub]) }
                        sub = (sub - 1) & mask
                    }
                }
                h = next
            }
        }
        return h[full]
    }

    /// The first instant at or after `time` when the agent is on shift (may start work).
    static func earliestStart(_ agent: TraceAgent, notBefore time: Double) -> Double? {
        for shift in agent.shifts where time < shift.end { return max(time, shift.start) }
        return nil
    }
}
