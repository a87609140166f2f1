import Foundation
import RingdeskDomain

/// A load scenario file (JSON): arrival phases (steady, ramp, burst), simulated agents with
/// churn, and the client's shape. `ringdesk load --scenario FILE` runs it; flags not in the file
/// keep their values. Example (`scripts/load/big-sale.json`):
///
///     {"name": "big-sale", "target": "intake", "arrivals": "poisson", "seed": 7,
///      "phases": [{"duration": 10, "rate": 40},
///                 {"duration": 10, "rate_from": 40, "rate_to": 200},
///                 {"duration": 5, "rate": 400},
///                 {"duration": 10, "rate": 60}],
///      "agents": {"count": 8, "handle_ms": 200, "rating_share": 0.5,
///                 "churn": [{"at": 12, "away": 3}, {"at": 25, "back": 3}]}}
public struct LoadScenario: Sendable, Codable, Hashable {
    /// A stretch of the run with a constant rate (`rate`) or a linear ramp (`rate_from` → `rate_to`).
    public struct Phase: Sendable, Codable, Hashable {
        public var duration: Double
        public var rate: Double?
        public var rateFrom: Double?
        public var rateTo: Double?

        public init(duration: Double, rate: Double? = nil, rateFrom: Double? = nil, rateTo: Double? = nil) {
            self.duration = duration
            self.rate = rate
            self.rateFrom = rateFrom
            self.rateTo = rateTo
        }

        enum CodingKeys: String, CodingKey {
            case duration, rate
            case rateFrom = "rate_from"
            case rateTo = "rate_to"
        }

        /// Rate at the start and at the end of the phase.
        var rates: (start: Double, end: Double) {
            if let rate { return (rate, rate) }
            return (rateFrom ?? 0, rateTo ?? 0)
        }
    }

    /// Simulated agents go away or come back at a moment of the run (seconds from the start).
    public struct ChurnStep: Sendable, Codable, Hashable {
        public var at: Double
        public var away: Int?
        public var back: Int?

        public init(at: Double, away: Int? = nil, back: Int? = nil) {
            self.at = at
            self.away = away
            self.back = back
        }
    }

    public struct Agents: Sendable, Codable, Hashable {
        public var count: Int
        public var handleMs: Double?
        /// Share of resolved tickets the simulated customer rates (1–5 from the seed; ≤ 2 opens a call-back).
        public var ratingShare: Double?
        public var churn: [ChurnStep]?

        public init(count: Int, handleMs: Double? = nil, ratingShare: Double? = nil, churn: [ChurnStep]? = nil) {
            self.count = count
            self.handleMs = handleMs
            self.ratingShare = ratingShare
            self.churn = churn
        }

        enum CodingKeys: String, CodingKey {
            case count
            case handleMs = "handle_ms"
            case ratingShare = "rating_share"
            case churn
        }
    }

    public var name: String
    public var target: String?
    public var arrivals: ArrivalSchedule.Pattern?
    public var seed: UInt64?
    public var phases: [Phase]
    public var concurrency: Int?
    public var connections: Int?
    public var agents: Agents?

    public init(name: String, target: String? = nil, arrivals: ArrivalSchedule.Pattern? = nil, seed: UInt64? = nil,
                phases: [Phase], concurrency: Int? = nil, connections: Int? = nil, agents: Agents? = nil) {
        self.name = name
        self.target = target
        self.arrivals = arrivals
        self.seed = seed
        self.phases = phases
        self.concurrency = concurrency
        self.connections = connections
        self.agents = agents
    }

    /// Total length of the phases, in seconds.
    public var duration: Double { phases.reduce(0) { $0 + $1.duration } }

    /// Reads and validates a scenario; errors name the field.
    public static func decode(_ data: Data) throws -> LoadScenario {
        let scenario: LoadScenario
        do {
            scenario = try JSONDecoder().decode(LoadScenario.self, from: data)
        } catch let error as DecodingError {
            throw LoadScenarioError(describe(error))
        }
        try scenario.validate()
        return scenario
    }

    public func validate() throws {
        func fail(_ field: String, _ why: String) -> LoadScenarioError { LoadScenarioError("\(field) \(why)") }
        if name.isEmpty || name.count > 64 { throw fail("name", "must be 1 to 64 characters") }
        if let target, !["intake", "echo"].contains(target) { throw fail("target", "must be intake or echo") }
        if phases.isEmpty || phases.count > 1000 { throw fail("phases", "must list 1 to 1000 phases") }
        for (index, phase) in phases.enumerated() {
            let field = "phases[\(index)]"
            if !(phase.duration.isFinite && phase.duration > 0 && phase.duration <= 86_400) {
                throw fail("\(field).duration", "must be between 0 and 86400 seconds")
            }
            switch (phase.rate, phase.rateFrom, phase.rateTo) {
            case (let rate?, nil, nil):
                if !(rate.isFinite && rate >= 0 && rate <= 1_000_000) { throw fail("\(field).rate", "must be between 0 and 1000000") }
            case (nil, let from?, let to?):
                for (name, value) in [("rate_from", from), ("rate_to", to)] where !(value.isFinite && value >= 0 && value <= 1_000_000) {
                    throw fail("\(field).\(name)", "must be between 0 and 1000000")
                }
            default:
                throw fail(field, "needs either rate, or rate_from and rate_to")
            }
        }
        if let concurrency, !(1...100_000).contains(concurrency) { throw fail("concurrency", "must be between 1 and 100000") }
        if let connections, !(1...256).contains(connections) { throw fail("connections", "must be between 1 and 256") }
        if let agents {
            if !(0...1000).contains(agents.count) { throw fail("agents.count", "must be between 0 and 1000") }
            if let handle = agents.handleMs, !(handle.isFinite && handle >= 0 && handle <= 600_000) {
                throw fail("agents.handle_ms", "must be between 0 and 600000")
            }
            if let share = agents.ratingShare, !(0...1).contains(share) { throw fail("agents.rating_share", "must be between 0 and 1") }
            var away = 0
            for (index, step) in (agents.churn ?? []).enumerated() {
                let field = "agents.churn[\(index)]"
                if !(step.at.isFinite && step.at >= 0 && step.at <= duration) { throw fail("\(field).at", "must be within the run (0...\(duration))") }
                if (step.away == nil) == (step.back == nil) { throw fail(field, "needs exactly one of away or back") }
                away += (step.away ?? 0) - (step.back ?? 0)
                if (step.away ?? 0) < 0 || (step.back ?? 0) < 0 || away < 0 || away > agents.count {
                    throw fail(field, "would have \(away) of \(agents.count) agents away")
                }
            }
        }
    }

    /// The intended send times of the whole run, in seconds from the start: uniform arrivals are
    /// evenly spaced in expected count, Poisson arrivals are a non-homogeneous Poisson process
    /// (unit-rate gaps mapped through the inverse of the cumulative rate).
    public func offsets(pattern: ArrivalSchedule.Pattern, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        var result: [Double] = []
        var phaseStart = 0.0
        var expectedBefore = 0.0  // cumulative rate Λ at the start of the phase
        var next = pattern == .uniform ? 0.0 : unitGap(&generator)
        for phase in phases {
            let (r0, r1) = phase.rates
            let slope = (r1 - r0) / phase.duration
            let expectedIn = (r0 + r1) / 2 * phase.duration
            while next < expectedBefore + expectedIn {
                // Solve r0·t + slope·t²/2 = next - expectedBefore for t in the phase.
                let target = next - expectedBefore
                let t: Double
                if abs(slope) < 1e-12 {
                    t = target / r0
                } else {
                    let discriminant = max(0, r0 * r0 + 2 * slope * target)
                    t = (-r0 + discriminant.squareRoot()) / slope
                }
                result.append(phaseStart + min(max(t, 0), phase.duration))
                next += pattern == .uniform ? 1 : unitGap(&generator)
            }
            phaseStart += phase.duration
            expectedBefore += expectedIn
        }
        return result
    }

    private func unitGap(_ generator: inout SeededGenerator) -> Double {
        let uniform = (Double(generator.next() >> 11) + 1) / Double(1 << 53)
        return -Foundation.log(uniform)
    }

    enum CodingKeys: String, CodingKey {
        case name, target, arrivals, seed, phases, concurrency, connections, agents
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let key = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return "\(key.isEmpty ? "scenario" : key): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return "\(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is required"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A scenario file that cannot be run; the message names the field.
public struct LoadScenarioError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
