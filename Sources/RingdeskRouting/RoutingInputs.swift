import Foundation
import RingdeskDomain

/// What the engine needs to know about a ticket to route it. The owner builds it from a
/// `Ticket` (`init(ticket:)`) or from a trace.
public struct RoutingTicket: Sendable, Hashable {
    public var id: String
    public var requirements: [SkillRequirement]
    /// BCP 47 tag; agents match on the primary subtag.
    public var language: String
    public var region: String
    public var channel: Channel
    public var urgency: Urgency
    public var supportTier: SupportTier
    /// When the ticket started waiting (relaxation and "time waited" count from here).
    public var waitingSince: Date
    /// First-response due date (the SLA deadline the engine orders by).
    public var dueAt: Date
    /// The customer's previous agent: a soft preference.
    public var preferredAgentID: String?
    /// Agents who must not be offered this ticket again (rejected or let an offer lapse), until
    /// their exclusion ages out (`RoutingConfiguration.exclusionExpiry`).
    public var excludedAgentIDs: [String]
    /// When the exclusions started (the last failed delivery; nil: `waitingSince`). Each listed
    /// agent counts as excluded from here, so an older exclusion may last a little longer.
    public var excludedSince: Date?
    /// Offers already made (counts towards the delivery limit).
    public var deliveryAttempts: Int
    /// The owner's fencing epoch, echoed in decisions.
    public var epoch: UInt64

    public init(id: String, requirements: [SkillRequirement] = [], language: String, region: String,
                channel: Channel, urgency: Urgency, supportTier: SupportTier = .l1, waitingSince: Date,
                dueAt: Date, preferredAgentID: String? = nil, excludedAgentIDs: [String] = [],
                excludedSince: Date? = nil, deliveryAttempts: Int = 0, epoch: UInt64 = 0) {
        self.id = id
        self.requirements = requirements
        self.language = language
        self.region = region
        self.channel = channel
        self.urgency = urgency
        self.supportTier = supportTier
        self.waitingSince = waitingSince
        self.dueAt = dueAt
        self.preferredAgentID = preferredAgentID
        self.excludedAgentIDs = excludedAgentIDs
        self.excludedSince = excludedSince
        self.deliveryAttempts = deliveryAttempts
        self.epoch = epoch
    }

    /// The routing view of a domain ticket: first-response due from its SLA clock.
    public init(ticket: Ticket) {
        self.init(id: ticket.id, requirements: ticket.requiredSkills, language: ticket.customer.language,
                  region: ticket.customer.region, channel: ticket.channel, urgency: ticket.urgency,
                  supportTier: ticket.supportTier, waitingSince: ticket.createdAt,
                  dueAt: ticket.sla.firstResponseDue, preferredAgentID: ticket.preferredAgentID ?? ticket.lastAgentID,
                  excludedAgentIDs: ticket.excludedAgentIDs, excludedSince: ticket.queuedAt,
                  deliveryAttempts: ticket.deliveryAttempts,
                  epoch: ticket.epoch)
    }
}

/// What the engine needs to know about an agent. Load is the engine's own (offers and leases it
/// made); `idleSince` seeds longest-idle fairness and moves when the agent completes work.
public struct RoutingAgent: Sendable, Hashable {
    public var id: String
    public var skills: [String: Int]
    /// Empty: speaks every language.
    public var languages: [String]
    /// Home regions; empty means the agent is at home in every region.
    public var regions: [String]
    public var supportTier: SupportTier
    public var capacity: [Channel: Int]
    public var presence: Presence
    public var idleSince: Date

    public init(id: String, skills: [String: Int] = [:], languages: [String] = [], regions: [String] = [],
                supportTier: SupportTier = .l1, capacity: [Channel: Int] = Channel.defaultCapacities,
                presence: Presence = .available, idleSince: Date) {
        self.id = id
        self.skills = skills
        self.languages = languages
        self.regions = regions
        self.supportTier = supportTier
        self.capacity = capacity
        self.presence = presence
        self.idleSince = idleSince
    }

    public init(agent: Agent) {
        self.init(id: agent.id, skills: agent.skills, languages: agent.languages, regions: agent.regions,
                  supportTier: agent.supportTier, capacity: agent.channelCapacity, presence: agent.presence,
                  idleSince: agent.idleSince)
    }
}
