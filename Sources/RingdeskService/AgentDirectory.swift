import Foundation
import RingdeskDomain
import RingdeskReplication
import RingdeskShard

/// Where agents' profiles and presence are kept, and which node routes. With the Raft ticket
/// shards this is the routing domain (`RoutingDirectory`): a Raft group of its own, replicated on
/// every node, whose leader alone runs the routing engine. Without one (the single-node store) the
/// service keeps agents in its own SQLite and always routes.
public protocol AgentDirectory: Sendable {
    /// Every agent, at a linearizable point.
    func loadAgents() async throws -> [Agent]
    /// One agent, at a linearizable point (nil: no such agent).
    func agent(_ id: String) async throws -> Agent?
    /// Creates or updates an agent's profile (presence is kept; new agents start offline); the
    /// agent as stored.
    func upsert(_ profile: AgentProfile, at: Date) async throws -> Agent
    /// Sets an agent's presence; the agent as stored.
    func setPresence(_ presence: Presence, agentID: String, at: Date) async throws -> Agent
    /// Records that `agentID`, holding `ticketID`, renewed its lease at `at` (durably, so the
    /// renewal reaches the routing leader whichever node the client used, and outlives a leader).
    func renewLease(ticketID: String, agentID: String, at: Date) async throws

    /// Calls `handler` with what the directory applied, whoever changed it (any node), in order:
    /// agents and lease renewals. Quick: hand off.
    func follow(_ handler: @escaping @Sendable (_ changes: AgentDirectoryChanges) -> Void)
    /// Whether this node runs the routing engine now (it leads the routing domain).
    var routesHere: Bool { get }
}

/// What an `AgentDirectory` applied in one turn.
public struct AgentDirectoryChanges: Sendable {
    public var agents: [Agent] = []
    public var renewals: [(ticketID: String, agentID: String, at: Date)] = []

    public var isEmpty: Bool { agents.isEmpty && renewals.isEmpty }
}

/// The agent registry on the routing domain's Raft group (`RoutingDomainMachine`, group 0 of its
/// own host). Any node changes an agent (forwarded to the domain's leader); every node follows the
/// applied agents; the leader routes.
public final class RoutingDirectory: AgentDirectory {
    public typealias Host = ReplicationHost<RoutingDomainMachine>

    public let host: Host
    /// How long a request is retried through elections before the caller gets `shard_unavailable`.
    public let requestDeadline: TimeInterval

    public init(host: Host, requestDeadline: TimeInterval = 5) {
        self.host = host
        self.requestDeadline = requestDeadline
    }

    private static let group: UInt32 = 0

    /// Waits (up to `deadline` seconds) until the domain has a leader that answers.
    public func start(deadline: TimeInterval) async throws {
        _ = try await retryingReplication("the routing domain", deadline: deadline) { [host] in
            try await host.readAnywhere(group: Self.group) { $0.agents.count }
        }
    }

    public func loadAgents() async throws -> [Agent] {
        try await retryingReplication("the routing domain", deadline: requestDeadline) { [host] in
            try await host.readAnywhere(group: Self.group) { Array($0.agents.values) }
        }
    }

    public func agent(_ id: String) async throws -> Agent? {
        try await retryingReplication("the routing domain", deadline: requestDeadline) { [host] in
            try await host.readAnywhere(group: Self.group) { $0.agent(id) }
        }
    }

    public func upsert(_ profile: AgentProfile, at: Date) async throws -> Agent {
        try await agent(from: propose(.upsertAgent(profile, at: at)), id: profile.id)
    }

    public func setPresence(_ presence: Presence, agentID: String, at: Date) async throws -> Agent {
        try await agent(from: propose(.setPresence(agentID: agentID, presence, sessionEpoch: nil, at: at)), id: agentID)
    }

    public func renewLease(ticketID: String, agentID: String, at: Date) async throws {
        let result = try await propose(.renewLease(ticketID: ticketID, agentID: agentID, at: at))
        if case .rejected = result { _ = try agent(from: result, id: agentID) }
    }

    public func follow(_ handler: @escaping @Sendable (_ changes: AgentDirectoryChanges) -> Void) {
        host.follow { [host] events in
            var changes = AgentDirectoryChanges()
            for event in events {
                switch event {
                case .applied(_, let results):
                    for result in results {
                        switch result {
                        case .agent(let agent): changes.agents.append(agent)
                        case let .leaseRenewed(ticketID, agentID, at): changes.renewals.append((ticketID, agentID, at))
                        case .session, .rejected: break
                        }
                    }
                case .replaced(let group):
                    Task {
                        if let all = try? await host.read(group: group, local: true, { Array($0.agents.values) }) {
                            handler(AgentDirectoryChanges(agents: all))
                        }
                    }
                }
            }
            if !changes.isEmpty { handler(changes) }
        }
    }

    public var routesHere: Bool {
        host.status.first.map { $0.role == "leader" && $0.leader == host.configuration.nodeID } ?? false
    }

    /// Both entries are safe to repeat after an unknown outcome (the same profile or presence again).
    private func propose(_ entry: RoutingDomainEntry) async throws -> RoutingDomainResult {
        try await retryingReplication("the routing domain", deadline: requestDeadline) { [host] in
            try await host.proposeAnywhere(group: Self.group, command: entry)
        }
    }

    private func agent(from result: RoutingDomainResult, id: String) throws -> Agent {
        switch result {
        case .agent(let agent):
            return agent
        case .rejected(let rejection) where rejection.code == "agent_not_found":
            throw ServiceError.agentNotFound(id)
        case .rejected(let rejection):
            throw DomainError(code: rejection.code, message: rejection.message, field: rejection.field)
        case .session, .leaseRenewed:
            throw ServiceError.conflict("the routing domain answered \(result) to an agent change")
        }
    }
}
