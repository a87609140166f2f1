/// Decoding for the string enums the API accepts: an unknown value is refused with the values
/// that are allowed, never with Swift's type names ("Cannot initialize TicketCategory from…").
extension RawRepresentable where Self: CaseIterable, RawValue == String {
    /// The allowed raw values, comma-separated, in declaration order.
    public static var allowedValues: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Decodes one of `allCases` by raw value; the error's coding path names the field.
    static func decodeOneOf(_ decoder: any Decoder) throws -> Self {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: unknownValueMessage(text))
        }
        return value
    }

    /// "must be one of a, b, c; got 'x'" with the given text shortened to stay readable.
    static func unknownValueMessage(_ text: String) -> String {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return "must be one of \(allowedValues); got '\(shown)'"
    }

    /// Decodes an object keyed by raw values (`{"chat": 3}`); an unknown key is refused by name
    /// with the allowed ones.
    static func decodeKeyedObject<Key: CodingKey, Value: Decodable>(_ container: KeyedDecodingContainer<Key>,
                                                                    forKey key: Key) throws -> [Self: Value] {
        let object = try container.nestedContainer(keyedBy: RawKey.self, forKey: key)
        var result: [Self: Value] = [:]
        for rawKey in object.allKeys {
            guard let value = Self(rawValue: rawKey.stringValue) else {
                throw DecodingError.dataCorruptedError(
                    forKey: rawKey, in: object,
                    debugDescription: "unknown key '\(rawKey.stringValue)'; allowed keys: \(allowedValues)")
            }
            result[value] = try object.decode(Value.self, forKey: rawKey)
        }
        return result
    }
}

/// Any object key, for reading objects keyed by enum raw values.
struct RawKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

// The enums a client sends: their own `init(from:)` wins over the standard library's default.
extension TicketCategory { public init(from decoder: any Decoder) throws { self = try Self.decodeOneOf(decoder) } }
extension Channel { public init(from decoder: any Decoder) throws { self = try Self.decodeOneOf(decoder) } }
extension CustomerTier { public init(from decoder: any Decoder) throws { self = try Self.decodeOneOf(decoder) } }
extension Urgency { public init(from decoder: any Decoder) throws { self = try Self.decodeOneOf(decoder) } }
extension Presence { public init(from decoder: any Decoder) throws { self = try Self.decodeOneOf(decoder) } }
extension SupportTier { public init(from decoder: any Decoder) throws { self = try Self.decodeOneOf(decoder) } }
extension TicketActor.Kind { public init(from decoder: any Decoder) throws { self = try Self.decodeOneOf(decoder) } }
