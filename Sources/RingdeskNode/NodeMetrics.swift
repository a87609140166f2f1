import NIOConcurrencyHelpers

/// Request counters and latency histograms by route template (bounded labels), rendered in the
/// Prometheus text format together with the gauges the node reads at scrape time.
final class NodeMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    private struct Key: Hashable {
        var route: String
        var method: String
    }

    private struct Series {
        var byStatus: [Int: Int] = [:]
        var buckets = [Int](repeating: 0, count: NodeMetrics.bounds.count)
        var count = 0
        var sum = 0.0
    }

    private let series = NIOLockedValueBox([Key: Series]())

    func record(route: String, method: String, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        series.withLockedValue { all in
            var entry = all[Key(route: route, method: method), default: Series()]
            entry.byStatus[status, default: 0] += 1
            if let index = Self.bounds.firstIndex(where: { seconds <= $0 }) { entry.buckets[index] += 1 }
            entry.count += 1
            entry.sum += seconds
            all[Key(route: route, method: method)] = entry
        }
    }

    /// The request metrics in Prometheus text format.
    func renderRequests() -> String {
        let snapshot = series.withLockedValue { $0 }
        var out = "# HELP ringdesk_http_requests_total API requests by route template, method and status.\n# TYPE ringdesk_http_requests_total counter\n"
        let keys = snapshot.keys.sorted { ($0.route, $0.method) < ($1.route, $1.method) }
        for key in keys {
            for (status, count) in snapshot[key]!.byStatus.sorted(by: { $0.key < $1.key }) {
                out += "ringdesk_http_requests_total{route=\"\(key.route)\",method=\"\(key.method)\",status=\"\(status)\"} \(count)\n"
            }
        }
        out += "# HELP ringdesk_http_request_duration_seconds API request latency by route template.\n# TYPE ringdesk_http_request_duration_seconds histogram\n"
        for key in keys {
            let entry = snapshot[key]!
            let labels = "route=\"\(key.route)\",method=\"\(key.method)\""
            var cumulative = 0
            for (index, bound) in Self.bounds.enumerated() {
                cumulative += entry.buckets[index]
                out += "ringdesk_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "ringdesk_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(entry.count)\n"
            out += "ringdesk_http_request_duration_seconds_sum{\(labels)} \(entry.sum)\n"
            out += "ringdesk_http_request_duration_seconds_count{\(labels)} \(entry.count)\n"
        }
        return out
    }
}

/// One gauge or counter line set in Prometheus text format.
func prometheus(_ name: String, type: String, help: String, _ samples: [(labels: String, value: Double)]) -> String {
    var out = "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    for sample in samples {
        let value = sample.value == sample.value.rounded() && abs(sample.value) < 1e15 ? String(Int64(sample.value)) : String(sample.value)
        out += sample.labels.isEmpty ? "\(name) \(value)\n" : "\(name){\(sample.labels)} \(value)\n"
    }
    return out
}
