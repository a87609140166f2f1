import Foundation

/// Single-node greedy assignment: walks queued tickets in queue order and proposes one offer per
/// ticket to the best eligible agent. Pure; the owner applies `.offer` with each result (fenced
/// by `epoch`). The cluster-wide scoring engine replaces it later.
///
/// Queue order: higher urgency first; then tickets put back at the head; then oldest
/// (`createdAt`); then id.
/// Eligible agent: available; tier ≥ the ticket's support tier; every required skill at its
/// minimum level; speaks the customer's language (when the agent lists languages); capacity
/// left on the ticket's channel counting offers; not in the ticket's exclusion list.
/// Among eligible: the preferred agent, then agents serving the customer's region, then the
/// longest idle (`Agent.idleSince`), then id.
public struct SimpleAssigner: Sendable {
    public struct Configuration: Sendable, Codable, Hashable {
        /// Seconds an offer stays open.
        public var offerTimeout: TimeInterval
        /// Queues never auto-offered (the supervisor review queue).
        public var excludedQueues: Set<String>
        /// Tickets with this many delivery attempts are skipped.
        public var maxDeliveryAttempts: Int

        public init(offerTimeout: TimeInterval = 30, excludedQueues: Set<String> = ["supervisor_review"],
                    maxDeliveryAttempts: Int = 5) {
            self.offerTimeout = offerTimeout
            self.excludedQueues = excludedQueues
            self.maxDeliveryAttempts = maxDeliveryAttempts
        }

        public init(policy: DomainPolicy) {
            self.init(offerTimeout: policy.offerTimeout, excludedQueues: [policy.reviewQueue],
                      maxDeliveryAttempts: policy.maxDeliveryAttempts)
        }

        public static let defaults = Configuration()

        enum CodingKeys: String, CodingKey {
            case offerTimeout = "offer_timeout"
            case excludedQueues = "excluded_queues"
            case maxDeliveryAttempts = "max_delivery_attempts"
        }
    }

    /// An offer to make: apply `.offer(agentID:expiresAt:)` to the ticket if its epoch is still `epoch`.
    public struct PlannedOffer: Sendable, Codable, Hashable {
        public var ticketID: String
        public var agentID: String
        public var expiresAt: Date
        public var epoch: UInt64
        /// Why this agent ("preferred_agent", "same_region" or "longest_idle").
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case ticketID = "ticket_id"
            case agentID = "agent_id"
            case expiresAt = "expires_at"
            case epoch, reason
        }
    }

    public var configuration: Configuration

    public init(configuration: Configuration = .defaults) {
        self.configuration = configuration
    }

    /// Whether `a` goes before `b` in queue order.
    public static func queueOrder(_ a: Ticket, _ b: Ticket) -> Bool {
        if a.urgency != b.urgency { return a.urgency > b.urgency }
        if a.queuedAtHead != b.queuedAtHead { return a.queuedAtHead }
        if a.createdAt != b.createdAt { return a.createdAt < b.createdAt }
        return a.id < b.id
    }

    /// Offers to make now. `load` is per agent and channel (see `Agent.loads(from:)`), and must
    /// include outstanding offers. Tickets that are not `queued` are ignored.
    public func plan(queued tickets: [Ticket], agents: [Agent], load: [String: [Channel: Int]],
                     now: Date) -> [PlannedOffer] {
        var free: [String: [Channel: Int]] = [:]
        var freeByChannel: [Channel: Int] = [:]
        var candidates: [Agent] = []
        for agent in agents where agent.presence == .available {
            var agentFree: [Channel: Int] = [:]
            for channel in Channel.allCases {
                let left = max(0, agent.capacity(for: channel) - (load[agent.id]?[channel] ?? 0))
                agentFree[channel] = left
                freeByChannel[channel, default: 0] += left
            }
            free[agent.id] = agentFree
            candidates.append(agent)
        }
        // Longest idle first, so the first eligible agent in a preference class wins.
        candidates.sort { ($0.idleSince, $0.id) < ($1.idleSince, $1.id) }

        let waiting = tickets
            .filter {
                $0.status == .queued && !configuration.excludedQueues.contains($0.queue)
                    && $0.deliveryAttempts < configuration.maxDeliveryAttempts
            }
            .sorted(by: Self.queueOrder)

        var offers: [PlannedOffer] = []
        for ticket in waiting {
            if freeByChannel.values.allSatisfy({ $0 == 0 }) { break }
            guard freeByChannel[ticket.channel, default: 0] > 0 else { continue }
            func eligible(_ agent: Agent) -> Bool {
                (free[agent.id]?[ticket.channel] ?? 0) > 0
                    && agent.supportTier >= ticket.supportTier
                    && !ticket.excludedAgentIDs.contains(agent.id)
                    && agent.satisfies(ticket.requiredSkills)
                    && agent.speaks(ticket.customer.language)
            }
            var chosen: (agent: Agent, reason: String)?
            var firstEligible: Agent?
            for agent in candidates where eligible(agent) {
                if agent.id == ticket.preferredAgentID {
                    chosen = (agent, "preferred_agent")
                    break
                }
                if firstEligible == nil { firstEligible = agent }
                if chosen == nil && agent.regions.contains(ticket.customer.region) {
                    chosen = (agent, "same_region")
                    if ticket.preferredAgentID == nil { break }
                }
            }
            if chosen == nil, let firstEligible { chosen = (firstEligible, "longest_idle") }
            guard let (agent, reason) = chosen else { continue }
            free[agent.id]![ticket.channel]! -= 1
            freeByChannel[ticket.channel]! -= 1
            offers.append(PlannedOffer(ticketID: ticket.id, agentID: agent.id,
                                       expiresAt: now.addingTimeInterval(configuration.offerTimeout),
                                       epoch: ticket.epoch, reason: reason))
        }
        return offers
    }
}
