import CoreMetrics
import Foundation
import RingdeskDomain

/// What the ticket service reports to swift-metrics as it works: offers and their outcomes,
/// assignment latency by urgency, lease lapses, review moves and SLA breaches. Labels are
/// bounded (fixed outcome, urgency and clock names).
struct ServiceMetrics: Sendable {
    let offers: Counter
    let accepted: Counter
    let rejected: Counter
    let expired: Counter
    let leaseLapses: Counter
    let reviewMoves: Counter
    let assignmentLatency: [Urgency: CoreMetrics.Timer]
    let breaches: [SLAKind: Counter]

    init(factory: any MetricsFactory) {
        offers = Counter(label: "ringdesk_offers_total", dimensions: [], factory: factory)
        func outcome(_ name: String) -> Counter {
            Counter(label: "ringdesk_offer_outcomes_total", dimensions: [("outcome", name)], factory: factory)
        }
        accepted = outcome("accepted")
        rejected = outcome("rejected")
        expired = outcome("expired")
        leaseLapses = Counter(label: "ringdesk_lease_lapses_total", dimensions: [], factory: factory)
        reviewMoves = Counter(label: "ringdesk_review_moves_total", dimensions: [], factory: factory)
        assignmentLatency = Dictionary(uniqueKeysWithValues: Urgency.allCases.map {
            ($0, CoreMetrics.Timer(label: "ringdesk_assignment_latency_seconds", dimensions: [("urgency", $0.rawValue)], factory: factory))
        })
        breaches = Dictionary(uniqueKeysWithValues: SLAKind.allCases.map {
            ($0, Counter(label: "ringdesk_sla_breaches_total", dimensions: [("clock", $0.rawValue)], factory: factory))
        })
    }

    /// Counts a command that went through, from the ticket before and after it.
    func record(_ command: TicketCommand, before: Ticket, after: Ticket, effects: [TicketEffect], at now: Date) {
        switch command {
        case .offer:
            offers.increment()
            let since = before.queuedAt ?? before.createdAt
            assignmentLatency[after.urgency]?.recordNanoseconds(Int64(max(0, now.timeIntervalSince(since)) * 1e9))
        case .acceptOffer: accepted.increment()
        case .rejectOffer: rejected.increment()
        case .offerExpired: expired.increment()
        case .leaseExpired: leaseLapses.increment()
        default: break
        }
        for effect in effects {
            switch effect {
            case .deliveryLimitReached: reviewMoves.increment()
            case .slaBreached(let kind): breaches[kind]?.increment()
            default: break
            }
        }
    }
}

/// Queue and SLA figures read at scrape time (`TicketService.routingSnapshot`).
public struct RoutingSnapshot: Sendable {
    /// Open tickets by status.
    public var byStatus: [TicketStatus: Int] = [:]
    /// Queued tickets by urgency and region label (regions outside `regions` count as "other").
    public var queued: [Urgency: [String: Int]] = [:]
    /// Open tickets whose clock runs and has less than a fifth of its target left.
    public var atRisk: [SLAKind: Int] = [:]
    /// Open tickets whose clock is breached.
    public var breached: [SLAKind: Int] = [:]
    /// The region labels in use: the policy's calendar regions and the first regions seen
    /// (at most 16), then "other".
    public var regions: [String] = []
    /// Tickets in the supervisors' review queue.
    public var inReview = 0
}
