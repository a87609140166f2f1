/// Why a trace, scenario or simulation run was refused: an opaque code, the field when there is
/// one (snake_case JSON path), and a message for people.
public struct SimulationError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public static let invalidTrace = Code(rawValue: "invalid_trace")
        public static let unknownScenario = Code(rawValue: "unknown_scenario")
        public static let unknownPolicy = Code(rawValue: "unknown_policy")
        /// A policy returned an assignment the simulator cannot perform (a bug in the policy).
        public static let policyViolation = Code(rawValue: "policy_violation")
        /// The exact optimum refuses traces too large to search.
        public static let tooLarge = Code(rawValue: "too_large")
        public var description: String { rawValue }
    }

    public let code: Code
    public let field: String?
    public let message: String

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String {
        field.map { "\(code): \($0): \(message)" } ?? "\(code): \(message)"
    }
}
