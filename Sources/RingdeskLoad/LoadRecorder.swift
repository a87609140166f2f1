import Histogram

/// Latencies and outcomes of one kind of request (create, echo, …) during a load run: an HDR
/// histogram in microseconds, error counts by code, and completions per second of the run.
public struct OperationRecorder: Sendable {
    public private(set) var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    public private(set) var errors: [String: Int] = [:]
    public private(set) var perSecond: [Int] = []

    public init() {}

    /// A completed request: `latency` in seconds (from its intended start in open-loop runs),
    /// `second` is the whole second of the run it completed in.
    public mutating func success(latency: Double, second: Int) {
        _ = histogram.record(UInt64(max(1, min(60_000_000, (latency * 1_000_000).rounded()))))
        count(second)
    }

    public mutating func failure(code: String, second: Int) {
        errors[code, default: 0] += 1
        count(second)
    }

    private mutating func count(_ second: Int) {
        guard second >= 0 else { return }
        if perSecond.count <= second { perSecond += Array(repeating: 0, count: second - perSecond.count + 1) }
        perSecond[second] += 1
    }

    public mutating func merge(_ other: OperationRecorder) {
        histogram.add(other.histogram)
        for (code, count) in other.errors { errors[code, default: 0] += count }
        if perSecond.count < other.perSecond.count { perSecond += Array(repeating: 0, count: other.perSecond.count - perSecond.count) }
        for (index, count) in other.perSecond.enumerated() { perSecond[index] += count }
    }

    /// The figures for the report; `duration` in seconds gives the throughput.
    public func summary(duration: Double) -> OperationSummary {
        let ok = Int(histogram.totalCount)
        func ms(_ micros: UInt64) -> Double { (Double(micros) / 1000 * 1000).rounded() / 1000 }
        return OperationSummary(
            count: ok, errors: errors.values.reduce(0, +), errorsByCode: errors,
            perSecond: duration > 0 ? (Double(ok) / duration * 10).rounded() / 10 : 0,
            p50Ms: ok == 0 ? 0 : ms(histogram.valueAtPercentile(50)),
            p90Ms: ok == 0 ? 0 : ms(histogram.valueAtPercentile(90)),
            p99Ms: ok == 0 ? 0 : ms(histogram.valueAtPercentile(99)),
            p999Ms: ok == 0 ? 0 : ms(histogram.valueAtPercentile(99.9)),
            maxMs: ok == 0 ? 0 : ms(histogram.max),
            meanMs: ok == 0 ? 0 : (histogram.mean / 1000 * 1000).rounded() / 1000,
            series: perSecond
        )
    }
}

/// One operation's figures in a load report.
public struct OperationSummary: Codable, Sendable, Equatable {
    public var count: Int
    public var errors: Int
    public var errorsByCode: [String: Int]
    public var perSecond: Double
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var p999Ms: Double
    public var maxMs: Double
    public var meanMs: Double
    /// Completions (successes and errors) in each second of the run.
    public var series: [Int]

    public init(count: Int, errors: Int, errorsByCode: [String: Int], perSecond: Double, p50Ms: Double, p90Ms: Double,
                p99Ms: Double, p999Ms: Double, maxMs: Double, meanMs: Double, series: [Int]) {
        self.count = count
        self.errors = errors
        self.errorsByCode = errorsByCode
        self.perSecond = perSecond
        self.p50Ms = p50Ms
        self.p90Ms = p90Ms
        self.p99Ms = p99Ms
        self.p999Ms = p999Ms
        self.maxMs = maxMs
        self.meanMs = meanMs
        self.series = series
    }

    enum CodingKeys: String, CodingKey {
        case count, errors, series
        case errorsByCode = "errors_by_code"
        case perSecond = "per_s"
        case p50Ms = "p50_ms"
        case p90Ms = "p90_ms"
        case p99Ms = "p99_ms"
        case p999Ms = "p999_ms"
        case maxMs = "max_ms"
        case meanMs = "mean_ms"
    }
}

/// A whole load run: what was asked and what each operation measured. Written with `--out` and
/// compared with `ringdesk load compare`.
public struct LoadReport: Codable, Sendable, Equatable {
    public var scenario: String
    public var mode: String
    public var nodes: [String]
    public var seconds: Double
    public var operations: [String: OperationSummary]

    public init(scenario: String, mode: String, nodes: [String], seconds: Double, operations: [String: OperationSummary]) {
        self.scenario = scenario
        self.mode = mode
        self.nodes = nodes
        self.seconds = seconds
        self.operations = operations
    }

    public var totalErrors: Int { operations.values.reduce(0) { $0 + $1.errors } }

    /// One row per operation and figure: `before`, `after` and the ratio after/before.
    public static func compare(_ before: LoadReport, _ after: LoadReport) -> [(operation: String, figure: String, before: Double, after: Double, ratio: Double?)] {
        var rows: [(String, String, Double, Double, Double?)] = []
        for name in Set(before.operations.keys).union(after.operations.keys).sorted() {
            let a = before.operations[name]
            let b = after.operations[name]
            let figures: [(String, (OperationSummary) -> Double)] = [
                ("per_s", \.perSecond), ("p50_ms", \.p50Ms), ("p99_ms", \.p99Ms), ("max_ms", \.maxMs), ("errors", { Double($0.errors) }),
            ]
            for (figure, value) in figures {
                let x = a.map(value) ?? 0
                let y = b.map(value) ?? 0
                rows.append((name, figure, x, y, x == 0 ? nil : y / x))
            }
        }
        return rows
    }
}
