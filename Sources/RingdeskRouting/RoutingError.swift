/// An engine command that could not be taken; the engine's state is unchanged.
public struct RoutingError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let raw: String
        public static let unknownTicket = Code(raw: "unknown_ticket")
        public static let unknownAgent = Code(raw: "unknown_agent")
        public static let duplicateTicket = Code(raw: "duplicate_ticket")
        /// The ticket is not in the state the command needs (e.g. accepting a ticket not offered).
        public static let wrongState = Code(raw: "wrong_state")
        /// The command names an agent other than the one holding the offer or lease.
        public static let notHolder = Code(raw: "not_holder")
        public static let invalidConfiguration = Code(raw: "invalid_configuration")
        public static let invalidInput = Code(raw: "invalid_input")
        public var description: String { raw }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
