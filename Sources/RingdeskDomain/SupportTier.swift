/// Support level of an agent and the level a ticket needs (raised by escalation).
public enum SupportTier: String, Sendable, Codable, CaseIterable, Hashable, Comparable, CodingKeyRepresentable {
    case l1
    case l2
    case expert

    public var rank: Int {
        switch self {
        case .l1: 0
        case .l2: 1
        case .expert: 2
        }
    }

    public static func < (lhs: SupportTier, rhs: SupportTier) -> Bool { lhs.rank < rhs.rank }

    /// The tier an escalation moves to, or nil at the top.
    public var next: SupportTier? {
        switch self {
        case .l1: .l2
        case .l2: .expert
        case .expert: nil
        }
    }
}
