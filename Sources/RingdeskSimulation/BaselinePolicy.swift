/// The two baselines: one global first-come-first-served order over tickets with strict
/// eligibility (every minimum skill level, the language, the tier; any region). Whenever an
/// agent is free, the oldest waiting ticket that some free agent may serve is started, by the
/// agent the `AgentChoice` picks among the free eligible ones. Repeats until nothing fits.
public struct BaselinePolicy: RoutingPolicy {
    public enum AgentChoice: Sendable {
        /// Cycle through agents in trace order: the next eligible free agent after the last one chosen.
        case roundRobin
        /// The eligible free agent idle longest (since shift start or last completion).
        case longestIdle
    }

    public let name: String
    public var eligibility: String { "strict: every minimum level, language, tier; any region" }
    let choice: AgentChoice
    let trace: Trace
    var classOf: [Int]
    var classIDs: [Eligibility.TicketClass: Int] = [:]
    var eligible: [[Int]] = []
    /// Per class: waiting tickets in arrival order, and the index of the first still waiting.
    var queues: [[Int]] = []
    var heads: [Int] = []
    var idleSince: [Double]
    var nextInTurn = 0

    public init(trace: Trace, choice: AgentChoice) {
        self.trace = trace
        self.choice = choice
        name = switch choice {
        case .roundRobin: "fifo-rr"
        case .longestIdle: "longest-idle"
        }
        classOf = Array(repeating: -1, count: trace.tickets.count)
        idleSince = Array(repeating: 0, count: trace.agents.count)
    }

    /// FIFO with round-robin agents.
    public static func fifoRoundRobin(_ trace: Trace) -> BaselinePolicy { BaselinePolicy(trace: trace, choice: .roundRobin) }
    /// Oldest ticket first to the longest-idle agent, strict skills.
    public static func longestIdle(_ trace: Trace) -> BaselinePolicy { BaselinePolicy(trace: trace, choice: .longestIdle) }

    public var nextWakeUp: Double? { nil }

    public mutating func ticketArrived(_ ticket: Int, at now: Double) throws {
        let key = Eligibility.TicketClass(trace.tickets[ticket])
        let id: Int
        if let known = classIDs[key] {
            id = known
        } else {
            id = eligible.count
            classIDs[key] = id
            eligible.append(trace.agents.indices.filter { Eligibility.strict(trace.agents[$0], trace.tickets[ticket]) })
            queues.append([])
            heads.append(0)
        }
        classOf[ticket] = id
        queues[id].append(ticket)
    }

    public mutating func agentOnShift(_ agent: Int, at now: Double) throws { idleSince[agent] = now }
    public mutating func agentOffShift(_ agent: Int, at now: Double) throws {}
    public mutating func workFinished(ticket: Int, agent: Int, at now: Double) throws { idleSince[agent] = now }

    public mutating func assignments(_ view: SimulationView) throws -> [Assignment] {
        var load = view.load
        func free(_ a: Int) -> Bool { view.onShift[a] && load[a] < trace.agents[a].capacity }
        var result: [Assignment] = []
        while true {
            var best: (ticket: Int, cls: Int)?
            for cls in queues.indices where heads[cls] < queues[cls].count {
                let ticket = queues[cls][heads[cls]]
                if let current = best, (trace.tickets[current.ticket].arrival, current.ticket) <= (trace.tickets[ticket].arrival, ticket) {
                    continue
                }
                if eligible[cls].contains(where: free) { best = (ticket, cls) }
            }
            guard let chosen = best else { return result }
            let candidates = eligible[chosen.cls].filter(free)
            let agent: Int
            switch choice {
            case .roundRobin:
                let n = trace.agents.count
                agent = candidates.min { ($0 - nextInTurn + n) % n < ($1 - nextInTurn + n) % n }!
                nextInTurn = (agent + 1) % n
            case .longestIdle:
                agent = candidates.min { (idleSince[$0], $0) < (idleSince[$1], $1) }!
            }
            heads[chosen.cls] += 1
            load[agent] += 1
            result.append(Assignment(ticket: chosen.ticket, agent: agent))
        }
    }
}
