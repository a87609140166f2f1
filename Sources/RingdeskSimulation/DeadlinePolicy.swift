import HeapModule

/// The baselines a skeptic would pick against the engine: earliest deadline first. Whenever an
/// agent is free, the waiting ticket with the earliest first-response due time that some free
/// agent may serve is started, by the free eligible agent that meets every minimum level if
/// there is one (then the longest idle, then trace order). Repeats until nothing fits.
///
/// * `edf` — eligibility as wide as the engine's final relaxation level (skills down to
///   `min_level - proficiencyRelaxation`, the language, the tier, any region): equal
///   eligibility with the engine.
/// * `edf-strict` — the baselines' strict eligibility (every minimum level, language, tier).
/// * `edf-sht` — shortest-handling-time aware, at the engine's final eligibility: tickets that
///   can still meet their first response go in deadline order; once none of them fits, breached
///   tickets go shortest handling time first (the trace's `handling_s` is the estimate), so a
///   backlog of late work is cleared in the order that makes the fewest tickets wait.
public struct DeadlinePolicy: RoutingPolicy {
    public enum Order: Sendable {
        /// Earliest first-response due time first, breached or not.
        case earliestDeadline
        /// On-time tickets earliest due first; breached ones after them, shortest handling first.
        case shortestHandlingWhenBreached
    }

    public let name: String
    public let eligibility: String
    let order: Order
    let trace: Trace
    let relaxation: Int
    var classIDs: [Eligibility.TicketClass: Int] = [:]
    /// Per class: agents who may serve it, and of those the ones meeting every minimum level.
    var eligible: [[Int]] = []
    var strictFit: [Set<Int>] = []
    /// Per class: waiting tickets still on time (by due time) and breached ones (by the order's key).
    var onTime: [Heap<Entry>] = []
    var breached: [Heap<Entry>] = []
    var idleSince: [Double]

    struct Entry: Comparable {
        var key: Double
        var ticket: Int
        static func < (a: Entry, b: Entry) -> Bool { a.key != b.key ? a.key < b.key : a.ticket < b.ticket }
    }

    /// `proficiencyRelaxation`: how many levels below a minimum an agent may be (0: strict).
    public init(trace: Trace, order: Order, proficiencyRelaxation: Int, name: String) {
        self.trace = trace
        self.order = order
        self.name = name
        relaxation = max(0, proficiencyRelaxation)
        eligibility = relaxation == 0
            ? "strict: every minimum level, language, tier; any region"
            : "engine's final level: skills down to min_level-\(relaxation) (>= 1), language, tier; any region"
        idleSince = Array(repeating: 0, count: trace.agents.count)
    }

    /// EDF at the engine's final eligibility (`proficiencyRelaxation` of its configuration).
    public static func edf(_ trace: Trace, proficiencyRelaxation: Int) -> DeadlinePolicy {
        DeadlinePolicy(trace: trace, order: .earliestDeadline, proficiencyRelaxation: proficiencyRelaxation, name: "edf")
    }

    /// EDF held to strict skills, like FIFO-RR and longest-idle.
    public static func edfStrict(_ trace: Trace) -> DeadlinePolicy {
        DeadlinePolicy(trace: trace, order: .earliestDeadline, proficiencyRelaxation: 0, name: "edf-strict")
    }

    /// EDF for on-time tickets, shortest handling first for breached ones, at the engine's final eligibility.
    public static func edfShortestHandling(_ trace: Trace, proficiencyRelaxation: Int) -> DeadlinePolicy {
        DeadlinePolicy(trace: trace, order: .shortestHandlingWhenBreached, proficiencyRelaxation: proficiencyRelaxation, name: "edf-sht")
    }

    public var nextWakeUp: Double? { nil }

    public mutating func ticketArrived(_ ticket: Int, at now: Double) throws {
        let item = trace.tickets[ticket]
        let key = Eligibility.TicketClass(item)
        let id: Int
        if let known = classIDs[key] {
            id = known
        } else {
            id = eligible.count
            classIDs[key] = id
            let agents = trace.agents.indices.filter { Eligibility.canServe(trace.agents[$0], item, proficiencyRelaxation: relaxation) }
            eligible.append(agents)
            strictFit.append(Set(agents.filter { Eligibility.strict(trace.agents[$0], item) }))
            onTime.append(Heap())
            breached.append(Heap())
        }
        onTime[id].insert(Entry(key: item.firstResponseDue, ticket: ticket))
    }

    public mutating func agentOnShift(_ agent: Int, at now: Double) throws { idleSince[agent] = now }
    public mutating func agentOffShift(_ agent: Int, at now: Double) throws {}
    public mutating func workFinished(ticket: Int, agent: Int, at now: Double) throws { idleSince[agent] = now }

    public mutating func assignments(_ view: SimulationView) throws -> [Assignment] {
        if order == .shortestHandlingWhenBreached {
            // Tickets that can no longer start by their due time change queue.
            for cls in onTime.indices {
                while let first = onTime[cls].min, first.key < view.now {
                    onTime[cls].removeMin()
                    breached[cls].insert(Entry(key: trace.tickets[first.ticket].handling, ticket: first.ticket))
                }
            }
        }
        var load = view.load
        func free(_ a: Int) -> Bool { view.onShift[a] && load[a] < trace.agents[a].capacity }
        var result: [Assignment] = []
        while true {
            // (group, key): on-time tickets (group 0) before breached ones (group 1).
            var best: (group: Int, entry: Entry, cls: Int)?
            for cls in eligible.indices {
                for (group, heap) in [(0, onTime[cls]), (1, breached[cls])] {
                    guard let entry = heap.min else { continue }
                    if let current = best, (current.group, current.entry) <= (group, entry) { continue }
                    if eligible[cls].contains(where: free) { best = (group, entry, cls) }
                }
            }
            guard let chosen = best else { return result }
            let candidates = eligible[chosen.cls].filter(free)
            let fits = strictFit[chosen.cls]
            let agent = candidates.min { a, b in
                let (fa, fb) = (fits.contains(a), fits.contains(b))
                if fa != fb { return fa }
                return (idleSince[a], a) < (idleSince[b], b)
            }!
            if chosen.group == 0 { onTime[chosen.cls].removeMin() } else { breached[chosen.cls].removeMin() }
            load[agent] += 1
            result.append(Assignment(ticket: chosen.entry.ticket, agent: agent))
        }
    }
}
