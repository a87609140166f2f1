import Foundation

/// Who the customer is and what order the ticket is about, as intake knows it.
public struct CustomerContext: Sendable, Codable, Hashable {
    public var id: String
    public var tier: CustomerTier
    public var orderID: String?
    /// Order value in currency units; finite and ≥ 0.
    public var orderValue: Double?
    /// Language tag such as `en` or `pt-BR`.
    public var language: String
    /// Region key such as `eu-west`; picks the business calendar and region affinity.
    public var region: String
    /// Return-window end or refund deadline, when one applies.
    public var deadline: Date?

    public init(
        id: String,
        tier: CustomerTier = .standard,
        orderID: String? = nil,
        orderValue: Double? = nil,
        language: String,
        region: String,
        deadline: Date? = nil
    ) {
        self.id = id
        self.tier = tier
        self.orderID = orderID
        self.orderValue = orderValue
        self.language = language
        self.region = region
        self.deadline = deadline
    }

    enum CodingKeys: String, CodingKey {
        case id
        case tier
        case orderID = "order_id"
        case orderValue = "order_value"
        case language
        case region
        case deadline
    }

    /// `tier` defaults to `standard` when absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        tier = try c.decodeIfPresent(CustomerTier.self, forKey: .tier) ?? .standard
        orderID = try c.decodeIfPresent(String.self, forKey: .orderID)
        orderValue = try c.decodeIfPresent(Double.self, forKey: .orderValue)
        language = try c.decode(String.self, forKey: .language)
        region = try c.decode(String.self, forKey: .region)
        deadline = try c.decodeIfPresent(Date.self, forKey: .deadline)
    }

    func validate(field: String) throws {
        try Validate.identifier(id, field: "\(field).id")
        if let orderID { try Validate.identifier(orderID, field: "\(field).order_id") }
        if let orderValue { try Validate.finiteNonNegative(orderValue, field: "\(field).order_value") }
        try Validate.language(language, field: "\(field).language")
        try Validate.identifier(region, field: "\(field).region", maxLength: 64)
    }
}
