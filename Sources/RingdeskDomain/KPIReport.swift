import Foundation

/// Nearest-rank percentiles of a set of durations (seconds): the p-th percentile is the
/// smallest value such that at least p% of values are ≤ it, i.e. sorted[ceil(p/100·n) − 1].
public struct Percentiles: Sendable, Codable, Hashable {
    public var count: Int
    public var p50: Double?
    public var p90: Double?

    public init(_ values: [Double]) {
        let sorted = values.sorted()
        count = sorted.count
        p50 = Self.nearestRank(sorted, 50)
        p90 = Self.nearestRank(sorted, 90)
    }

    /// Nearest-rank percentile of ascending `sorted` values; nil when empty.
    public static func nearestRank(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// KPI figures for one group of tickets. Rates are percentages (0...100), nil when their
/// denominator is zero; durations are wall-clock seconds from creation.
public struct KPIMetrics: Sendable, Codable, Hashable {
    public var ticketCount: Int
    /// createdAt → firstResponseAt, over tickets with a first response.
    public var firstResponseTime: Percentiles
    /// createdAt → resolvedAt, over resolved or closed tickets.
    public var resolutionTime: Percentiles
    /// Resolved or closed ÷ all tickets that are not cancelled.
    public var resolutionRatePercent: Double?
    /// Not-cancelled tickets whose first-response outcome is known (responded, or overdue):
    /// share responded within target.
    public var firstResponseSLAPercent: Double?
    /// Not-cancelled tickets whose resolution outcome is known (resolved/closed, breached, or
    /// overdue and not paused): share resolved within target.
    public var resolutionSLAPercent: Double?
    public var csatAverage: Double?
    /// Counts of ratings 1...5 (index 0 = rating 1).
    public var csatDistribution: [Int]
    /// Resolved or closed tickets with feedback ÷ resolved or closed tickets.
    public var feedbackCoveragePercent: Double?
    /// Open tickets (new … waiting on customer) by urgency; every urgency present.
    public var backlog: [Urgency: Int]
    /// Tickets reopened at least once ÷ tickets ever resolved.
    public var reopenRatePercent: Double?
    /// Busy capacity ÷ total capacity of the group's available agents (offers count as busy);
    /// nil for groups without agents (category, skill).
    public var utilisationPercent: Double?

    enum CodingKeys: String, CodingKey {
        case ticketCount = "ticket_count"
        case firstResponseTime = "first_response_time"
        case resolutionTime = "resolution_time"
        case resolutionRatePercent = "resolution_rate_pct"
        case firstResponseSLAPercent = "first_response_sla_pct"
        case resolutionSLAPercent = "resolution_sla_pct"
        case csatAverage = "csat_average"
        case csatDistribution = "csat_distribution"
        case feedbackCoveragePercent = "feedback_coverage_pct"
        case backlog
        case reopenRatePercent = "reopen_rate_pct"
        case utilisationPercent = "utilisation_pct"
    }

    /// Computes the metrics of `tickets` at `now`; utilisation over `agents` restricted to
    /// `channels`, with `loads` as from `Agent.loads(from:)`.
    public init(tickets: [Ticket], now: Date, agents: [Agent]?, channels: [Channel] = Channel.allCases,
                loads: [String: [Channel: Int]]) {
        func percent(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : Double(part) * 100 / Double(whole) }
        ticketCount = tickets.count
        firstResponseTime = Percentiles(tickets.compactMap { t in t.firstResponseAt.map { $0.timeIntervalSince(t.createdAt) } })
        let resolutions = tickets.filter { $0.status.isResolution }
        resolutionTime = Percentiles(resolutions.compactMap { t in t.resolvedAt.map { $0.timeIntervalSince(t.createdAt) } })
        let live = tickets.filter { $0.status != .cancelled }
        resolutionRatePercent = percent(resolutions.count, live.count)

        var frDecided = 0, frMet = 0, resDecided = 0, resMet = 0
        for t in live {
            if t.firstResponseAt != nil {
                frDecided += 1
                if !t.sla.firstResponseBreached { frMet += 1 }
            } else if t.sla.firstResponseBreached || now > t.sla.firstResponseDue {
                frDecided += 1
            }
            if t.status.isResolution {
                resDecided += 1
                if !t.sla.resolutionBreached { resMet += 1 }
            } else if t.sla.resolutionBreached || (!t.sla.isPaused && now > t.sla.resolutionDue) {
                resDecided += 1
            }
        }
        firstResponseSLAPercent = percent(frMet, frDecided)
        resolutionSLAPercent = percent(resMet, resDecided)

        var distribution = [0, 0, 0, 0, 0]
        var ratingSum = 0, rated = 0
        for t in tickets {
            guard let rating = t.feedback?.rating, (1...5).contains(rating) else { continue }
            distribution[rating - 1] += 1
            ratingSum += rating
            rated += 1
        }
        csatDistribution = distribution
        csatAverage = rated == 0 ? nil : Double(ratingSum) / Double(rated)
        feedbackCoveragePercent = percent(resolutions.filter { $0.feedback != nil }.count, resolutions.count)

        var backlog = Dictionary(uniqueKeysWithValues: Urgency.allCases.map { ($0, 0) })
        for t in tickets where t.status.isOpen { backlog[t.urgency, default: 0] += 1 }
        self.backlog = backlog

        let everResolved = tickets.filter { $0.resolvedAt != nil || $0.reopenCount > 0 }
        reopenRatePercent = percent(everResolved.filter { $0.reopenCount > 0 }.count, everResolved.count)

        if let agents {
            var busy = 0, total = 0
            for agent in agents where agent.presence == .available {
                for channel in channels {
                    let capacity = agent.capacity(for: channel)
                    total += capacity
                    busy += min(capacity, loads[agent.id]?[channel] ?? 0)
                }
            }
            utilisationPercent = percent(busy, total)
        } else {
            utilisationPercent = nil
        }
    }
}

/// KPIs overall and per region, category, channel, agent and required skill, computed purely
/// from tickets, agents and `now`. Callers choose the ticket window (e.g. created today).
public struct KPIReport: Sendable, Codable, Hashable {
    public var generatedAt: Date
    public var overall: KPIMetrics
    /// By customer region; utilisation over agents serving the region.
    public var byRegion: [String: KPIMetrics]
    /// By category raw value.
    public var byCategory: [String: KPIMetrics]
    /// By channel raw value; utilisation of that channel's capacity.
    public var byChannel: [String: KPIMetrics]
    /// By the agent who last held the ticket; every given agent appears.
    public var byAgent: [String: KPIMetrics]
    /// By required skill name (a ticket counts in each of its skills).
    public var bySkill: [String: KPIMetrics]

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case overall
        case byRegion = "by_region"
        case byCategory = "by_category"
        case byChannel = "by_channel"
        case byAgent = "by_agent"
        case bySkill = "by_skill"
    }

    public init(tickets: [Ticket], agents: [Agent], now: Date) {
        let loads = Agent.loads(from: tickets)
        generatedAt = now
        overall = KPIMetrics(tickets: tickets, now: now, agents: agents, loads: loads)

        var regions: [String: KPIMetrics] = [:]
        for (region, group) in Dictionary(grouping: tickets, by: \.customer.region) {
            regions[region] = KPIMetrics(tickets: group, now: now,
                                         agents: agents.filter { $0.regions.contains(region) }, loads: loads)
        }
        byRegion = regions
        byCategory = Dictionary(grouping: tickets, by: \.category.rawValue).mapValues {
            KPIMetrics(tickets: $0, now: now, agents: nil, loads: loads)
        }
        var channels: [String: KPIMetrics] = [:]
        for (channel, group) in Dictionary(grouping: tickets, by: \.channel) {
            channels[channel.rawValue] = KPIMetrics(tickets: group, now: now, agents: agents, channels: [channel],
                                                    loads: loads)
        }
        byChannel = channels

        var perAgent: [String: [Ticket]] = [:]
        for t in tickets {
            if let agent = t.assignedAgentID ?? t.lastAgentID { perAgent[agent, default: []].append(t) }
        }
        for agent in agents where perAgent[agent.id] == nil { perAgent[agent.id] = [] }
        let agentsByID = Dictionary(agents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        byAgent = Dictionary(uniqueKeysWithValues: perAgent.map { id, group in
            (id, KPIMetrics(tickets: group, now: now, agents: agentsByID[id].map { [$0] } ?? [], loads: loads))
        })

        var perSkill: [String: [Ticket]] = [:]
        for t in tickets {
            for skill in Set(t.requiredSkills.map(\.skill)) { perSkill[skill, default: []].append(t) }
        }
        bySkill = perSkill.mapValues { KPIMetrics(tickets: $0, now: now, agents: nil, loads: loads) }
    }
}
