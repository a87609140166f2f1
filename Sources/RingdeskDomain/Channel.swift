/// How the customer reached us; each channel has its own per-agent capacity.
public enum Channel: String, Sendable, Codable, CaseIterable, Hashable, CodingKeyRepresentable {
    case phone
    case chat
    case email
    case social
    case sms
    case app

    /// Concurrent tickets an agent handles on this channel unless their profile says otherwise.
    public var defaultCapacity: Int {
        switch self {
        case .phone: 1
        case .chat: 3
        case .email: 5
        case .social: 3
        case .sms: 3
        case .app: 3
        }
    }

    /// The default capacity table (phone 1, chat 3, email 5, social 3, sms 3, app 3).
    public static var defaultCapacities: [Channel: Int] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0, $0.defaultCapacity) })
    }
}
