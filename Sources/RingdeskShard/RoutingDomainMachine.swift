import Foundation
import RingdeskDomain
import RingdeskPrimitives

/// The routing domain's replicated state: the agent registry (profiles, skills, capacity,
/// presence) and the agents' sessions. A Raft group of its own; its leader runs the routing engine
/// over the ticket shards' change feeds and proposes offers to the shards (fenced by the tickets'
/// epochs). Load is not stored here: it is derived from the tickets the shards hold.
///
/// Sessions are epoch-fenced: opening a session for an agent (a client connecting on some node)
/// gives it the next epoch, and only the newest session may act for the agent (pull offers, accept,
/// renew, go available). An agent connected on two nodes therefore has one live session, so the
/// router never counts their capacity twice and a stale client cannot act after a newer one took
/// over. Entries carry their time and actor like ticket entries; bytes are versioned the same way
/// (`RoutingDomainMachine+Replicated.swift`).
public struct RoutingDomainMachine: Sendable {
    public private(set) var agents: [String: Agent] = [:]
    public private(set) var sessions: [String: AgentSession] = [:]
    private var agentHashSum: UInt64 = 0

    public init() {}

    public func agent(_ id: String) -> Agent? { agents[id] }

    /// The session epoch that may act for `agentID` now (nil: no session was ever opened or the
    /// last one was closed).
    public func liveSession(of agentID: String) -> AgentSession? {
        sessions[agentID].flatMap { $0.closed ? nil : $0 }
    }

    /// O(1) fingerprint of every agent and session, equal on replicas that applied the same entries.
    public var digest: UInt64 {
        SplitMix64.mix(agentHashSum ^ SplitMix64.mix(UInt64(agents.count) << 32 ^ UInt64(sessions.count)))
    }

    public mutating func apply(_ entry: RoutingDomainEntry) -> RoutingDomainResult {
        switch entry {
        case let .upsertAgent(profile, at):
            do {
                var agent: Agent
                if var existing = agents[profile.id] {
                    try existing.update(profile: profile)
                    agent = existing
                } else {
                    agent = try Agent(profile: profile, presence: .offline, at: at)
                }
                store(agent, session: sessions[profile.id])
                return .agent(agent)
            } catch let error as DomainError {
                return .rejected(TicketLogRejection(code: error.code, message: error.message, field: error.field))
            } catch {
                return .rejected(TicketLogRejection(code: "invalid_agent", message: "\(error)"))
            }

        case let .setPresence(agentID, presence, sessionEpoch, at):
            guard var agent = agents[agentID] else { return .rejected(Self.unknownAgent(agentID)) }
            if let refusal = fence(agentID, sessionEpoch) { return .rejected(refusal) }
            agent.setPresence(presence, at: at)
            store(agent, session: sessions[agentID])
            return .agent(agent)

        case let .openSession(agentID, node, at):
            guard let agent = agents[agentID] else { return .rejected(Self.unknownAgent(agentID)) }
            let epoch = (sessions[agentID]?.epoch ?? 0) + 1
            let session = AgentSession(agentID: agentID, epoch: epoch, node: node, openedAt: at, closed: false)
            store(agent, session: session)
            return .session(session)

        case let .closeSession(agentID, epoch, at):
            guard var agent = agents[agentID] else { return .rejected(Self.unknownAgent(agentID)) }
            if let refusal = fence(agentID, epoch) { return .rejected(refusal) }
            var session = sessions[agentID]!
            session.closed = true
            // Nobody is connected for the agent any more: the router must not offer them work.
            agent.setPresence(.offline, at: at)
            store(agent, session: session)
            return .session(session)

        case let .renewLease(ticketID, agentID, at):
            guard agents[agentID] != nil else { return .rejected(Self.unknownAgent(agentID)) }
            return .leaseRenewed(ticketID: ticketID, agentID: agentID, at: at)
        }
    }

    /// Refuses an action of a session that is not the agent's live one (nil: the action is from
    /// no session, an operator or supervisor acting for the agent).
    private func fence(_ agentID: String, _ epoch: UInt64?) -> TicketLogRejection? {
        guard let epoch else { return nil }
        guard let live = liveSession(of: agentID), live.epoch == epoch else {
            return TicketLogRejection(code: "stale_session",
                                      message: "session \(epoch) of agent \(agentID) was replaced or closed (live: \(liveSession(of: agentID).map { "\($0.epoch)" } ?? "none"))")
        }
        return nil
    }

    private static func unknownAgent(_ id: String) -> TicketLogRejection {
        TicketLogRejection(code: "agent_not_found", message: "no agent \(id) in this routing domain")
    }

    /// Adds a decoded row (stored rows or a snapshot); the caller refuses an agent twice.
    mutating func install(_ row: RoutingDomainRow) {
        store(row.agent, session: row.session)
    }

    private mutating func store(_ agent: Agent, session: AgentSession?) {
        if let old = agents[agent.id] { agentHashSum &-= Self.hash(old, sessions[agent.id]) }
        agents[agent.id] = agent
        sessions[agent.id] = session
        agentHashSum &+= Self.hash(agent, session)
    }

    static func hash(_ agent: Agent, _ session: AgentSession?) -> UInt64 {
        var writer = ByteWriter()
        writer.string(agent.id)
        writer.string(agent.name)
        writer.string(agent.presence.rawValue)
        writer.u64(agent.presenceSince.timeIntervalSinceReferenceDate.bitPattern)
        for skill in agent.skills.keys.sorted() {
            writer.string(skill)
            writer.varint(UInt64(clamping: agent.skills[skill]!))
        }
        writer.varint(session?.epoch ?? 0)
        writer.byte(session?.closed == true ? 1 : 0)
        return SplitMix64.mix(FNV1a.hash(writer.bytes))
    }
}

/// One agent's newest session: which node its client is connected to, and whether it ended.
public struct AgentSession: Sendable, Hashable, Codable {
    public var agentID: String
    public var epoch: UInt64
    /// The node holding the client's stream or long-poll, where offers for the agent go.
    public var node: UInt64
    public var openedAt: Date
    public var closed: Bool
}

public enum RoutingDomainEntry: Sendable, Hashable, Codable {
    case upsertAgent(AgentProfile, at: Date)
    /// `sessionEpoch` nil: an operator or supervisor sets it; else the agent's session, fenced.
    case setPresence(agentID: String, Presence, sessionEpoch: UInt64?, at: Date)
    case openSession(agentID: String, node: UInt64, at: Date)
    case closeSession(agentID: String, epoch: UInt64, at: Date)
    /// The agent holding `ticketID` keeps its lease alive at `at` (each replica's routing engine
    /// extends the lease from `at` by its lease duration). Changes no registry state: the log makes
    /// the renewal reach the routing leader whichever node the agent's client used, and survive a
    /// change of leader.
    case renewLease(ticketID: String, agentID: String, at: Date)
}

public enum RoutingDomainResult: Sendable, Hashable {
    case agent(Agent)
    case session(AgentSession)
    case leaseRenewed(ticketID: String, agentID: String, at: Date)
    case rejected(TicketLogRejection)

    public var rejection: TicketLogRejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }
}

/// A row of the domain's read model: an agent with its session.
public struct RoutingDomainRow: Sendable, Hashable, Codable {
    public var agent: Agent
    public var session: AgentSession?
}
