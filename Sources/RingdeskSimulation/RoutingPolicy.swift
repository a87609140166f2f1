import RingdeskRouting

/// A ticket started by an agent: the simulator's unit of work.
public struct Assignment: Sendable, Hashable {
    /// Index into `Trace.tickets`.
    public var ticket: Int
    /// Index into `Trace.agents`.
    public var agent: Int

    public init(ticket: Int, agent: Int) {
        self.ticket = ticket
        self.agent = agent
    }
}

/// What a policy may look at when it decides: who is on shift and how loaded, at `now`.
public struct SimulationView: Sendable {
    public let trace: Trace
    public let now: Double
    /// Per agent: on shift now.
    public let onShift: [Bool]
    /// Per agent: tickets in progress.
    public let load: [Int]

    /// On shift with room for one more ticket.
    public func isFree(_ agent: Int) -> Bool {
        onShift[agent] && load[agent] < trace.agents[agent].capacity
    }
}

/// A routing policy under simulation. The simulator tells it what happened (in time order; at
/// one instant: work finished, shifts ended, shifts started, tickets arrived) and then asks for
/// the assignments to start now. Every assignment must name a waiting ticket and a free agent.
/// Agents accept immediately unless the policy models otherwise.
public protocol RoutingPolicy {
    /// Column name in reports.
    var name: String { get }
    /// Who may serve whom under this policy, in words, for reports (comparisons name it).
    var eligibility: String { get }
    mutating func ticketArrived(_ ticket: Int, at now: Double) throws
    mutating func agentOnShift(_ agent: Int, at now: Double) throws
    mutating func agentOffShift(_ agent: Int, at now: Double) throws
    mutating func workFinished(ticket: Int, agent: Int, at now: Double) throws
    /// Tickets to start now.
    mutating func assignments(_ view: SimulationView) throws -> [Assignment]
    /// When the policy wants to be asked again without any other event (timers), if ever.
    var nextWakeUp: Double? { get }
    /// After this instant's assignments: waiting tickets that a free agent who may take them
    /// (by the policy's own rules, reservations aside) leaves idle, each with whether only an
    /// excluded queue head keeps them from that agent. Nil: the policy does not say.
    mutating func idleEligible(at now: Double) -> [IdleEligible]?
    /// Policy-specific counts for the report (offers, rejections, …).
    var counters: [String: Int] { get }
    /// Per ticket index: why it went to its agent (the engine's last decision for it), if the policy says.
    var scoreBreakdowns: [Int: ScoreBreakdown] { get }
}

/// A waiting ticket a free agent may take (see `RoutingPolicy.idleEligible`).
public struct IdleEligible: Sendable, Hashable {
    /// Index into `Trace.tickets`.
    public var ticket: Int
    public var behindExcludedHead: Bool
}

extension RoutingPolicy {
    public var eligibility: String { "" }
    public mutating func idleEligible(at now: Double) -> [IdleEligible]? { nil }
    public var counters: [String: Int] { [:] }
    public var scoreBreakdowns: [Int: ScoreBreakdown] { [:] }
}
