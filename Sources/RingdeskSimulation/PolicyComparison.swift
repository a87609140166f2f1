import Foundation
import RingdeskRouting

/// The policies a comparison can run, by their report names.
public enum PolicyKind: String, Sendable, CaseIterable {
    case fifo = "fifo-rr"
    case longestIdle = "longest-idle"
    case edf
    case edfStrict = "edf-strict"
    case edfShortestHandling = "edf-sht"
    case engine

    /// Every policy the simulator has, in report order.
    public static let standard: [PolicyKind] = [.fifo, .longestIdle, .edfStrict, .edf, .edfShortestHandling, .engine]

    /// The names `--policies` accepts: the report names (plus `fifo` for `fifo-rr`) and `optimum`.
    public static let knownNames = allCases.map(\.rawValue) + ["optimum", "exact"]

    /// One policy by its report name; `fifo` is accepted for `fifo-rr`.
    public init?(name: String) {
        if name == "fifo" { self = .fifo; return }
        self.init(rawValue: name)
    }

    /// Parses a comma-separated list ("fifo-rr,edf,engine"); throws `unknown_policy`.
    public static func list(_ text: String) throws -> [PolicyKind] {
        try text.split(separator: ",").map { word in
            let name = word.trimmingCharacters(in: .whitespaces)
            guard let kind = PolicyKind(name: name) else {
                throw SimulationError(.unknownPolicy, "unknown policy \(name) (known: \(knownNames.joined(separator: ", ")))")
            }
            return kind
        }
    }
}

/// Runs several policies over the same trace and measures each.
public struct PolicyComparison: Sendable {
    public var trace: Trace
    /// The engine's configuration (nil: `EnginePolicy.simulationConfiguration`).
    public var configuration: RoutingConfiguration?
    public var engineOptions: EnginePolicy.Options

    public init(trace: Trace, configuration: RoutingConfiguration? = nil, engineOptions: EnginePolicy.Options = .init()) {
        self.trace = trace
        self.configuration = configuration
        self.engineOptions = engineOptions
    }

    /// The engine's final proficiency relaxation: the EDF baselines' equal eligibility.
    public var relaxation: Int { (configuration ?? .defaults).proficiencyRelaxation }

    public func run(_ kind: PolicyKind) throws -> (metrics: QualityMetrics, outcome: SimulationOutcome) {
        let simulator = try Simulator(trace: trace)
        let outcome: SimulationOutcome
        switch kind {
        case .fifo:
            var policy = BaselinePolicy.fifoRoundRobin(trace)
            outcome = try simulator.run(&policy)
        case .longestIdle:
            var policy = BaselinePolicy.longestIdle(trace)
            outcome = try simulator.run(&policy)
        case .edf:
            var policy = DeadlinePolicy.edf(trace, proficiencyRelaxation: relaxation)
            outcome = try simulator.run(&policy)
        case .edfStrict:
            var policy = DeadlinePolicy.edfStrict(trace)
            outcome = try simulator.run(&policy)
        case .edfShortestHandling:
            var policy = DeadlinePolicy.edfShortestHandling(trace, proficiencyRelaxation: relaxation)
            outcome = try simulator.run(&policy)
        case .engine:
            var policy = try EnginePolicy(trace: trace, configuration: configuration.map {
                EnginePolicy.simulationConfiguration(for: trace, base: $0)
            }, options: engineOptions)
            outcome = try simulator.run(&policy)
        }
        return (QualityMetrics(trace: trace, outcome: outcome), outcome)
    }
}
