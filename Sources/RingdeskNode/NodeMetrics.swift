import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus
import RingdeskDomain
import RingdeskMembership
import RingdeskService
import RingdeskStorage

/// The node's metrics, through swift-metrics into a Prometheus registry that `/metrics` renders:
/// requests by route template (bounded labels: templates, not raw paths), and the gauges read
/// at scrape time (tickets by status, queue depth by urgency and region, SLA clocks at risk and
/// breached, storage figures). The service and storage record their own metrics into the same
/// registry through the factory they are given.
final class NodeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    private struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private let counters = NIOLockedValueBox([Key: CoreMetrics.Counter]())
    /// SWIM counters as last scraped, so each scrape adds the difference.
    private let lastSWIM = NIOLockedValueBox(SWIMInstance.Statistics())
    private let timers = NIOLockedValueBox([String: CoreMetrics.Timer]())

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        factory.valueHistogramBuckets["ringdesk_storage_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        self.factory = factory
    }

    func record(route: String, method: String, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let key = Key(route: route, method: method, status: status)
        let counter = counters.withLockedValue { all in
            if let counter = all[key] { return counter }
            let counter = CoreMetrics.Counter(label: "ringdesk_http_requests_total",
                                  dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
            all[key] = counter
            return counter
        }
        counter.increment()
        let timerKey = method + " " + route
        let timer = timers.withLockedValue { all in
            if let timer = all[timerKey] { return timer }
            let timer = CoreMetrics.Timer(label: "ringdesk_http_request_duration_seconds",
                                          dimensions: [("route", route), ("method", method)], factory: factory)
            all[timerKey] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(elapsed.components.seconds) * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// Sets the scrape-time gauges and renders the registry in the Prometheus text format.
    func render(service: TicketService, storage: SQLiteStorage, membership: MembershipService? = nil) async -> String {
        let snapshot = await service.routingSnapshot()
        let stats = storage.statistics()
        func gauge(_ name: String, _ dimensions: [(String, String)], _ value: Double) {
            CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory).record(value)
        }
        for status in TicketStatus.allCases where status.isOpen {
            gauge("ringdesk_tickets_open", [("status", status.rawValue)], Double(snapshot.byStatus[status] ?? 0))
        }
        for urgency in Urgency.allCases {
            gauge("ringdesk_queue_depth", [("urgency", urgency.rawValue)], Double(snapshot.queued[urgency]?.values.reduce(0, +) ?? 0))
            for region in snapshot.regions {
                gauge("ringdesk_queue_depth_by_region", [("urgency", urgency.rawValue), ("region", region)],
                      Double(snapshot.queued[urgency]?[region] ?? 0))
            }
        }
        for kind in SLAKind.allCases {
            gauge("ringdesk_sla_at_risk", [("clock", kind.rawValue)], Double(snapshot.atRisk[kind] ?? 0))
            gauge("ringdesk_sla_breached_open", [("clock", kind.rawValue)], Double(snapshot.breached[kind] ?? 0))
        }
        gauge("ringdesk_review_queue_depth", [], Double(snapshot.inReview))
        gauge("ringdesk_storage_writes", [], Double(stats.writes))
        gauge("ringdesk_storage_batch_size_average", [], stats.averageBatchSize)
        gauge("ringdesk_storage_queued_writes", [], Double(stats.queuedWrites))
        if let membership {
            let members = membership.members()
            for status in ["alive", "suspect", "dead", "left"] {
                gauge("ringdesk_cluster_members", [("status", status)], Double(members.filter { $0.status == status }.count))
            }
            let mine = members.first(where: \.isSelf)?.policy
            gauge("ringdesk_cluster_policy_mismatches", [],
                  Double(members.filter { ($0.status == "alive" || $0.status == "suspect") && $0.policy != mine }.count))
            let (health, statistics) = membership.health()
            gauge("ringdesk_swim_local_health", [], Double(health))
            let previous = lastSWIM.withLockedValue { last in
                defer { last = statistics }
                return last
            }
            for (name, now, before) in [("probes", statistics.probesSent, previous.probesSent),
                                        ("indirect_probes", statistics.indirectProbesSent, previous.indirectProbesSent),
                                        ("failed_probes", statistics.probesFailed, previous.probesFailed),
                                        ("refutations", statistics.refutations, previous.refutations),
                                        ("push_pulls", statistics.pushPullsSent, previous.pushPullsSent)] where now > before {
                CoreMetrics.Counter(label: "ringdesk_swim_events_total", dimensions: [("event", name)], factory: factory)
                    .increment(by: now - before)
            }
        }
        return registry.emitToString()
    }
}
