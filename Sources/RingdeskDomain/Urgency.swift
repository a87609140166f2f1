/// Triage colour of a ticket; ordered so that `red` is the highest.
public enum Urgency: String, Sendable, Codable, CaseIterable, Hashable, Comparable, CodingKeyRepresentable {
    case green
    case yellow
    case red

    /// 0 for green, 1 for yellow, 2 for red.
    public var rank: Int {
        switch self {
        case .green: 0
        case .yellow: 1
        case .red: 2
        }
    }

    public static func < (lhs: Urgency, rhs: Urgency) -> Bool { lhs.rank < rhs.rank }

    /// One colour higher, saturating at red.
    public var raised: Urgency {
        switch self {
        case .green: .yellow
        case .yellow, .red: .red
        }
    }
}
