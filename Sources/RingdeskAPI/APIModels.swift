import Foundation
import RingdeskDomain

// The JSON bodies of the /v1 API that are not domain types themselves: request bodies the node
// decodes and the CLI encodes, and the list envelopes of responses. One definition for both sides.

/// `POST /v1/tickets/{id}/events`: a lifecycle event; which fields apply depends on `type`.
public struct TicketEventRequest: Codable, Sendable {
    public var type: String
    public var actor: TicketActor?
    public var text: String?
    public var `internal`: Bool?
    public var question: String?
    public var queue: String?
    public var requiredSkills: [SkillRequirement]?
    public var reason: String?
    public var note: String?
    public var urgency: Urgency?

    public init(type: String, actor: TicketActor? = nil, text: String? = nil, internal: Bool? = nil, question: String? = nil,
                queue: String? = nil, requiredSkills: [SkillRequirement]? = nil, reason: String? = nil, note: String? = nil,
                urgency: Urgency? = nil) {
        self.type = type
        self.actor = actor
        self.text = text
        self.internal = `internal`
        self.question = question
        self.queue = queue
        self.requiredSkills = requiredSkills
        self.reason = reason
        self.note = note
        self.urgency = urgency
    }

    enum CodingKeys: String, CodingKey {
        case type, actor, text, `internal`, question, queue, reason, note, urgency
        case requiredSkills = "required_skills"
    }

    /// The event types the API accepts.
    public static let types = ["comment", "start_work", "request_customer_info", "customer_reply", "transfer", "escalate",
                               "resolve", "close", "reopen", "cancel", "override_urgency"]
}

/// `POST /v1/tickets/{id}/feedback`.
public struct FeedbackRequest: Codable, Sendable {
    public var rating: Int
    public var comment: String?
    public init(rating: Int, comment: String? = nil) {
        self.rating = rating
        self.comment = comment
    }
}

/// `PUT /v1/agents/{id}/presence`.
public struct PresenceRequest: Codable, Sendable {
    public var presence: Presence
    public init(presence: Presence) { self.presence = presence }
}

/// `GET /v1/tickets`: one page.
public struct TicketListResponse: Codable, Sendable {
    public var tickets: [Ticket]
    public var nextCursor: String?
    public init(tickets: [Ticket], nextCursor: String?) {
        self.tickets = tickets
        self.nextCursor = nextCursor
    }
    enum CodingKeys: String, CodingKey {
        case tickets
        case nextCursor = "next_cursor"
    }
}

/// `GET /v1/agents`.
public struct AgentListResponse: Codable, Sendable {
    public var agents: [Agent]
    public init(agents: [Agent]) { self.agents = agents }
}

/// `GET /v1/agents/{id}/offers`: tickets offered to the agent, oldest offer first.
public struct AgentOffersResponse: Codable, Sendable {
    public var agentID: String
    public var offers: [Ticket]
    public init(agentID: String, offers: [Ticket]) {
        self.agentID = agentID
        self.offers = offers
    }
    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id"
        case offers
    }
}

/// `GET /v1/agents/{id}/assignments`: tickets the agent holds.
public struct AgentAssignmentsResponse: Codable, Sendable {
    public var agentID: String
    public var tickets: [Ticket]
    public init(agentID: String, tickets: [Ticket]) {
        self.agentID = agentID
        self.tickets = tickets
    }
    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id"
        case tickets
    }
}

/// `POST /v1/admin/backups`: a consistent snapshot written on the node's host.
public struct BackupResponse: Codable, Sendable {
    /// Absolute path of the snapshot file on the node's host.
    public var path: String
    public var bytes: Int
    public init(path: String, bytes: Int) {
        self.path = path
        self.bytes = bytes
    }
}

/// Answer to a lease renewal: the holder keeps the ticket until `leaseExpiresAt` unless it
/// renews again.
public struct LeaseResponse: Sendable, Codable, Hashable {
    public var ticketID: String
    public var agentID: String
    public var leaseExpiresAt: Date

    public init(ticketID: String, agentID: String, leaseExpiresAt: Date) {
        self.ticketID = ticketID
        self.agentID = agentID
        self.leaseExpiresAt = leaseExpiresAt
    }

    enum CodingKeys: String, CodingKey {
        case ticketID = "ticket_id"
        case agentID = "agent_id"
        case leaseExpiresAt = "lease_expires_at"
    }
}

/// One member of the cluster as a node sees it (`GET /v1/cluster/members`).
public struct ClusterMember: Sendable, Codable, Hashable {
    public var name: String
    /// The SWIM id (hex), a stable hash of the name.
    public var id: String
    /// alive, suspect, dead or left.
    public var status: String
    public var incarnation: UInt64
    public var region: String
    public var zone: String
    public var address: String?
    public var load: UInt32
    public var version: String
    /// The node that answered.
    public var isSelf: Bool
    /// Fingerprint of the policy and routing configuration the member runs (from its gossip).
    public var policy: String?

    public init(name: String, id: String, status: String, incarnation: UInt64, region: String, zone: String,
                address: String?, load: UInt32, version: String, isSelf: Bool, policy: String? = nil) {
        self.name = name
        self.id = id
        self.status = status
        self.incarnation = incarnation
        self.region = region
        self.zone = zone
        self.address = address
        self.load = load
        self.version = version
        self.isSelf = isSelf
        self.policy = policy
    }

    enum CodingKeys: String, CodingKey {
        case name, id, status, incarnation, region, zone, address, load, version, policy
        case isSelf = "self"
    }
}

/// `GET /v1/cluster/members`: the answering node's view, itself first.
public struct ClusterMembersResponse: Sendable, Codable {
    public var node: String
    /// False when the node runs without a `cluster` configuration.
    public var clustered: Bool
    public var members: [ClusterMember]

    public init(node: String, clustered: Bool, members: [ClusterMember]) {
        self.node = node
        self.clustered = clustered
        self.members = members
    }
}

/// `GET /v1/cluster/shards`: the ticket shards the answering node hosts.
public struct ClusterShardsResponse: Sendable, Codable {
    public var node: String
    /// `shards` (the one path) or `sqlite` (the single-node store: no shards).
    public var ticketStore: String
    public var shards: [Shard]
    /// The routing domain's group (agents; its leader runs the routing engine); absent with the
    /// single-node store.
    public var routing: Shard?
    /// This node's replica id in the groups (absent with the single-node store).
    public var replicaID: UInt64?
    /// The cluster protocol this node speaks (absent with the single-node store).
    public var clusterProtocol: UInt32?
    /// Peers that refused this node's cluster protocol: replica id (as text) → the version they
    /// speak (0: a node from before versions were named). Empty in a healthy cluster.
    public var refusedBy: [String: UInt32]?

    public struct Shard: Sendable, Codable {
        public var shard: UInt32
        public var role: String
        /// The leader's replica id, 0 while none is known.
        public var leader: UInt64
        public var term: UInt64
        public var commitIndex: UInt64
        public var appliedIndex: UInt64
        /// Committed entries this replica has not applied yet.
        public var lag: UInt64
        public var voters: [UInt64]
        /// Why the shard stopped applying (an entry this build cannot decode); absent while it runs.
        public var halted: String?

        public init(shard: UInt32, role: String, leader: UInt64, term: UInt64, commitIndex: UInt64, appliedIndex: UInt64, lag: UInt64,
                    voters: [UInt64], halted: String?) {
            self.shard = shard
            self.role = role
            self.leader = leader
            self.term = term
            self.commitIndex = commitIndex
            self.appliedIndex = appliedIndex
            self.lag = lag
            self.voters = voters
            self.halted = halted
        }

        enum CodingKeys: String, CodingKey {
            case shard, role, leader, term, lag, voters, halted
            case commitIndex = "commit_index"
            case appliedIndex = "applied_index"
        }
    }

    public init(node: String, ticketStore: String, shards: [Shard], routing: Shard? = nil, replicaID: UInt64? = nil,
                clusterProtocol: UInt32? = nil, refusedBy: [String: UInt32]? = nil) {
        self.node = node
        self.ticketStore = ticketStore
        self.shards = shards
        self.routing = routing
        self.replicaID = replicaID
        self.clusterProtocol = clusterProtocol
        self.refusedBy = refusedBy
    }

    enum CodingKeys: String, CodingKey {
        case node, shards, routing
        case ticketStore = "ticket_store"
        case replicaID = "replica_id"
        case clusterProtocol = "cluster_protocol"
        case refusedBy = "refused_by"
    }
}
