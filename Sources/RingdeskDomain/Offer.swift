import Foundation

/// A reservation of a ticket for one agent until `expiresAt`.
public struct Offer: Sendable, Codable, Hashable {
    public var agentID: String
    public var offeredAt: Date
    public var expiresAt: Date

    public init(agentID: String, offeredAt: Date, expiresAt: Date) {
        self.agentID = agentID
        self.offeredAt = offeredAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id"
        case offeredAt = "offered_at"
        case expiresAt = "expires_at"
    }
}
