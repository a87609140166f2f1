import RingdeskRaft

/// What a Raft simulation replicates and how its clients use it. The world drives the machine
/// only through `ReplicatedStateMachine` (as the node's replication host does); a workload adds
/// what only it knows: a cheap digest of the state, how intake creates a ticket, what the other
/// actors do with a ticket they know of, and the checks its own rules allow.
protocol RaftSimWorkload {
    associatedtype Machine: ReplicatedStateMachine where Machine.Command: Equatable, Machine.Result: Equatable

    /// Equal on replicas that applied the same entries; cheap enough to take after every apply.
    static func digest(_ machine: Machine) -> UInt64
    static func ticketCount(_ machine: Machine) -> Int
    /// The ticket an idempotency key maps to.
    static func ticketID(forKey key: String, in machine: Machine) -> String?
    static func hasTicket(_ id: String, in machine: Machine) -> Bool
    /// Counted in the report as an acknowledged claim (a fenced compare-and-set that took a ticket).
    static func isClaim(_ command: Machine.Command) -> Bool

    /// One attempt of intake's create, with the attempt's fresh ticket id and the create's key.
    static func createCommand(ticketID: String, key: String?, world: RaftSimulationWorld<Self>) -> Machine.Command
    /// The ticket a create's result names (created or found by its key); nil for anything else.
    static func createdTicketID(_ result: Machine.Result) -> String?

    /// One action on a known ticket (`roll` in 30..<100 picks what), decided on a possibly stale
    /// view of some replica and proposed with `world.propose`.
    static func act(on ticketID: String, roll: Int, world: RaftSimulationWorld<Self>)

    /// The proposer answered one of the clients' commands (after the world recorded it): for
    /// clients that keep what an answer gave them (a session's epoch).
    static func acknowledged(_ command: Machine.Command, result: Machine.Result, world: RaftSimulationWorld<Self>)

    /// Checks over the committed log and the converged state (report with `world.violation`).
    static func checkLog(_ world: RaftSimulationWorld<Self>, upTo commit: UInt64, final machine: Machine)
}

extension RaftSimWorkload {
    static func acknowledged(_ command: Machine.Command, result: Machine.Result, world: RaftSimulationWorld<Self>) {}
}

/// Which machine a simulation replicates.
public enum RaftSimMachine: String, Sendable, Hashable, CaseIterable {
    /// `ShardStateMachine`: fenced claims, leases and lifecycle events.
    case shard
    /// `TicketShardMachine`: the domain's whole ticket lifecycle, with the router's fenced offers.
    case tickets
    /// `RoutingDomainMachine`: the agent registry with epoch-fenced sessions, two connections per agent.
    case routing
}
