import HeapModule
import RingdeskRouting
/// What happened to each ticket and agent in one run.
public struct SimulationOutcome: Sendable {
    public var policy: String
    /// Who may serve whom under the policy (`RoutingPolicy.eligibility`).
    public var eligibility: String = ""
    /// Per ticket: when work started (the first response), nil if never.
    public var start: [Double?]
    /// Per ticket: who worked it, nil if nobody.
    public var agent: [Int?]
    /// Per agent: capacity-seconds of work (handling time of every ticket it took).
    public var busySeconds: [Double]
    /// The day's end: waits of never-started tickets count up to here.
    public var horizon: Double
    /// Most tickets an agent held at once, per agent (for invariant checks).
    public var peakLoad: [Int]
    /// Events processed (arrivals, shift changes, completions, wake-ups).
    public var events: Int
    /// Per ticket: seconds it waited while a free agent who may take it sat idle (nil when the
    /// policy does not report it).
    public var idleEligibleWait: [Double]?
    /// Per ticket: it waited idle-eligible only because its queue's head excluded that agent.
    public var starvedBehindExcludedHead: [Bool] = []
    /// The policy's own counts (offers, rejections, …).
    public var counters: [String: Int] = [:]
    /// Per ticket index: the score breakdown of the decision that gave it its agent (the engine).
    public var scoreBreakdowns: [Int: ScoreBreakdown] = [:]
}

/// Discrete-event replay of a trace through a policy in virtual time. Events come off a binary
/// heap ordered by (time, kind, sequence); at one instant completions go first, then shift ends,
/// shift starts, arrivals and wake-ups, and only then is the policy asked for assignments, so
/// every policy sees the same world. An agent whose shift ends finishes the work in hand and
/// takes nothing new. The run ends when no event is left: tickets never started are first-
/// response and resolution misses for every policy alike (nobody works after the last shift).
public struct Simulator: Sendable {
    public let trace: Trace

    public init(trace: Trace) throws {
        try trace.validate()
        self.trace = trace
    }

    enum Kind: Int, Comparable {
        case completion = 0, shiftEnd, shiftStart, arrival, wake
        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    struct Event: Comparable {
        var time: Double
        var kind: Kind
        var seq: Int
        var subject: Int
        var other: Int

        static func < (a: Event, b: Event) -> Bool {
            a.time != b.time ? a.time < b.time : a.kind != b.kind ? a.kind < b.kind : a.seq < b.seq
        }

        static func == (a: Event, b: Event) -> Bool { a.seq == b.seq }
    }

    /// Runs the whole day. Throws `policy_violation` when the policy assigns a ticket that is
    /// not waiting, or an agent who is off shift or full.
    public func run<P: RoutingPolicy>(_ policy: inout P, maxEvents: Int = 50_000_000) throws -> SimulationOutcome {
        var heap = Heap<Event>()
        var seq = 0
        func push(_ time: Double, _ kind: Kind, _ subject: Int, _ other: Int = -1) {
            seq += 1
            heap.insert(Event(time: time, kind: kind, seq: seq, subject: subject, other: other))
        }
        for (i, ticket) in trace.tickets.enumerated() { push(ticket.arrival, .arrival, i) }
        for (a, agent) in trace.agents.enumerated() {
            for shift in agent.shifts {
                push(shift.start, .shiftStart, a)
                push(shift.end, .shiftEnd, a)
            }
        }
        var onShift = [Bool](repeating: false, count: trace.agents.count)
        var load = [Int](repeating: 0, count: trace.agents.count)
        var arrived = [Bool](repeating: false, count: trace.tickets.count)
        var outcome = SimulationOutcome(
            policy: policy.name, start: Array(repeating: nil, count: trace.tickets.count),
            agent: Array(repeating: nil, count: trace.tickets.count),
            busySeconds: Array(repeating: 0, count: trace.agents.count), horizon: trace.horizon,
            peakLoad: Array(repeating: 0, count: trace.agents.count), events: 0)
        var scheduledWake = Double.infinity
        // Tickets idle-eligible since the last instant: the state holds until the next one.
        var idle: (since: Double, tickets: [IdleEligible]) = (0, [])
        outcome.starvedBehindExcludedHead = Array(repeating: false, count: trace.tickets.count)

        while let first = heap.min {
            let now = first.time
            for entry in idle.tickets {
                outcome.idleEligibleWait?[entry.ticket] += now - idle.since
                if entry.behindExcludedHead { outcome.starvedBehindExcludedHead[entry.ticket] = true }
            }
            while let event = heap.min, event.time == now {
                heap.removeMin()
                outcome.events += 1
                guard outcome.events <= maxEvents else {
                    throw SimulationError(.policyViolation, "\(policy.name): more than \(maxEvents) events (a wake-up loop?)")
                }
                switch event.kind {
                case .completion:
                    load[event.other] -= 1
                    try policy.workFinished(ticket: event.subject, agent: event.other, at: now)
                case .shiftEnd:
                    onShift[event.subject] = false
                    try policy.agentOffShift(event.subject, at: now)
                case .shiftStart:
                    onShift[event.subject] = true
                    try policy.agentOnShift(event.subject, at: now)
                case .arrival:
                    arrived[event.subject] = true
                    try policy.ticketArrived(event.subject, at: now)
                case .wake:
                    if event.time == scheduledWake { scheduledWake = .infinity }
                }
            }
            let view = SimulationView(trace: trace, now: now, onShift: onShift, load: load)
            for assignment in try policy.assignments(view) {
                let (t, a) = (assignment.ticket, assignment.agent)
                guard trace.tickets.indices.contains(t), trace.agents.indices.contains(a) else {
                    throw SimulationError(.policyViolation, "\(policy.name): assignment out of range (ticket \(t), agent \(a))")
                }
                guard arrived[t], outcome.start[t] == nil else {
                    throw SimulationError(.policyViolation, "\(policy.name): ticket \(trace.tickets[t].id) is not waiting")
                }
                guard onShift[a], load[a] < trace.agents[a].capacity else {
                    throw SimulationError(.policyViolation, "\(policy.name): agent \(trace.agents[a].id) is off shift or full at \(now)")
                }
                load[a] += 1
                outcome.peakLoad[a] = max(outcome.peakLoad[a], load[a])
                outcome.start[t] = now
                outcome.agent[t] = a
                outcome.busySeconds[a] += trace.tickets[t].handling
                push(now + trace.tickets[t].handling, .completion, t, a)
            }
            if let report = policy.idleEligible(at: now) {
                if outcome.idleEligibleWait == nil { outcome.idleEligibleWait = Array(repeating: 0, count: trace.tickets.count) }
                idle = (now, report)
            }
            if let wake = policy.nextWakeUp, wake > now, wake < scheduledWake {
                scheduledWake = wake
                push(wake, .wake, -1)
            }
        }
        for entry in idle.tickets where outcome.horizon > idle.since {
            outcome.idleEligibleWait?[entry.ticket] += outcome.horizon - idle.since
            if entry.behindExcludedHead { outcome.starvedBehindExcludedHead[entry.ticket] = true }
        }
        outcome.counters = policy.counters
        outcome.eligibility = policy.eligibility
        outcome.scoreBreakdowns = policy.scoreBreakdowns
        return outcome
    }
}
