/// What an after-sales ticket is about; decides the default queue and feeds triage.
public enum TicketCategory: String, Sendable, Codable, CaseIterable, Hashable, CodingKeyRepresentable {
    case `return`
    case exchange
    case refund
    case repair
    case complaint
    case inquiry
    case logistics

    /// The department queue a ticket of this category lands in when intake names none.
    public var defaultQueue: String {
        switch self {
        case .return, .exchange: "returns"
        case .refund: "billing"
        case .repair: "repairs"
        case .complaint: "complaints"
        case .inquiry: "general"
        case .logistics: "logistics"
        }
    }
}
