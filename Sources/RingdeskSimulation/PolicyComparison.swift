import Foundation
import RingdeskRouting

/// The policies a comparison can run, by their report names.
public enum PolicyKind: String, Sendable, CaseIterable {
    case fifo
    case longestIdle = "longest-idle"
    case engine

    /// Parses a comma-separated list ("fifo,longest-idle,engine"); throws `unknown_policy`.
    public static func list(_ text: String) throws -> [PolicyKind] {
        try text.split(separator: ",").map { word in
            let name = word.trimmingCharacters(in: .whitespaces)
            guard let kind = PolicyKind(rawValue: name) else {
                throw SimulationError(.unknownPolicy, "unknown policy \(name) (known: fifo, longest-idle, engine, optimum)")
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
        case .engine:
            var policy = try EnginePolicy(trace: trace, configuration: configuration.map {
                EnginePolicy.simulationConfiguration(for: trace, base: $0)
            }, options: engineOptions)
            outcome = try simulator.run(&policy)
        }
        return (QualityMetrics(trace: trace, outcome: outcome), outcome)
    }
}
