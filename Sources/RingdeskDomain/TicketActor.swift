/// Who issued a command. Named `TicketActor` rather than `Actor` so that it does not shadow
/// Swift's `Actor` protocol in modules that import this one.
public struct TicketActor: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable, Hashable {
        case system
        case agent
        case supervisor
        case customer
        case intake

        /// The kind with its article, for messages ("an agent cannot …").
        public var withArticle: String {
            switch self {
            case .system: "the system"
            case .agent: "an agent"
            case .supervisor: "a supervisor"
            case .customer: "a customer"
            case .intake: "an intake client"
            }
        }
    }

    public var kind: Kind
    public var id: String

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }

    public static let system = TicketActor(kind: .system, id: "system")
    public static func agent(_ id: String) -> TicketActor { TicketActor(kind: .agent, id: id) }
    public static func supervisor(_ id: String) -> TicketActor { TicketActor(kind: .supervisor, id: id) }
    public static func customer(_ id: String) -> TicketActor { TicketActor(kind: .customer, id: id) }
    public static func intake(_ id: String) -> TicketActor { TicketActor(kind: .intake, id: id) }
}
