import Foundation
import RingdeskDomain

/// What the live dashboard shows, one frame: KPIs, queues with their SLA countdowns, agents and
/// their load, the most urgent open tickets. The membership view joins when the cluster lands.
public struct DashboardSnapshot: Sendable, Codable {
    public struct Queue: Sendable, Codable {
        public var urgency: Urgency
        public var region: String
        public var queued: Int
        /// First-response due date of the most urgent queued ticket (the countdown).
        public var nextDue: Date?

        enum CodingKeys: String, CodingKey {
            case urgency, region, queued
            case nextDue = "next_due"
        }
    }

    public struct AgentLoad: Sendable, Codable {
        public var id: String
        public var name: String
        public var presence: Presence
        public var regions: [String]
        /// Tickets held plus outstanding offers, over every channel.
        public var load: Int
        public var capacity: Int
    }

    public struct OpenTicket: Sendable, Codable {
        public var id: String
        public var urgency: Urgency
        public var status: TicketStatus
        public var region: String
        public var category: TicketCategory
        public var firstResponseDue: Date
        public var agentID: String?

        enum CodingKeys: String, CodingKey {
            case id, urgency, status, region, category
            case firstResponseDue = "first_response_due"
            case agentID = "agent_id"
        }
    }

    public struct Member: Sendable, Codable {
        public var node: String
        public var status: String
        public var region: String?

        public init(node: String, status: String, region: String?) {
            self.node = node
            self.status = status
            self.region = region
        }
    }

    public var node: String
    public var generatedAt: Date
    public var kpis: KPIMetrics
    public var queues: [Queue]
    public var agents: [AgentLoad]
    public var urgent: [OpenTicket]
    public var cluster: [Member]

    enum CodingKeys: String, CodingKey {
        case node
        case generatedAt = "generated_at"
        case kpis, queues, agents, urgent, cluster
    }
}

extension TicketService {
    /// One dashboard frame for node `node`.
    public func dashboardSnapshot(node: String) -> DashboardSnapshot {
        let now = clock.now()
        let open = allOpenTickets()
        var queues: [String: DashboardSnapshot.Queue] = [:]
        for ticket in open where ticket.status == .queued {
            let key = ticket.urgency.rawValue + "|" + ticket.customer.region
            var queue = queues[key] ?? .init(urgency: ticket.urgency, region: ticket.customer.region, queued: 0, nextDue: nil)
            queue.queued += 1
            queue.nextDue = min(queue.nextDue ?? .distantFuture, ticket.sla.firstResponseDue)
            queues[key] = queue
        }
        let loads = Agent.loads(from: open)
        let agents = allAgents().map { agent in
            DashboardSnapshot.AgentLoad(id: agent.id, name: agent.name, presence: agent.presence, regions: agent.regions,
                                        load: loads[agent.id]?.values.reduce(0, +) ?? 0,
                                        capacity: agent.channelCapacity.values.reduce(0, +))
        }
        let urgent = open.filter { $0.firstResponseAt == nil }
            .sorted { ($0.sla.firstResponseDue, $0.id) < ($1.sla.firstResponseDue, $1.id) }
            .prefix(15)
            .map { DashboardSnapshot.OpenTicket(id: $0.id, urgency: $0.urgency, status: $0.status, region: $0.customer.region,
                                                category: $0.category, firstResponseDue: $0.sla.firstResponseDue,
                                                agentID: $0.assignedAgentID ?? $0.offer?.agentID) }
        return DashboardSnapshot(
            node: node, generatedAt: now, kpis: kpis().overall,
            queues: queues.values.sorted { ($1.urgency.rank, $0.region) < ($0.urgency.rank, $1.region) },
            agents: agents, urgent: Array(urgent),
            cluster: [.init(node: node, status: "alive", region: nil)])
    }
}
