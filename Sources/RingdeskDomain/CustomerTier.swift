/// Commercial tier of the customer; VIPs get stricter triage.
public enum CustomerTier: String, Sendable, Codable, CaseIterable, Hashable, CodingKeyRepresentable {
    case standard
    case vip
}
