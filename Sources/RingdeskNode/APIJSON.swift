import Foundation
import NIOCore
import RingdeskAPI
import RingdeskDomain
import RingdeskHTTP2
import RingdeskService

/// JSON in and out of the API: ISO 8601 dates with milliseconds, strict decoding (unknown fields
/// are refused with the field's path), and bodies that must be objects.
enum APIJSON {
    static func encoder() -> JSONEncoder { ISO8601Millis.encoder() }

    static func decoder() -> JSONDecoder { ISO8601Millis.decoder() }

    static func response<T: Encodable>(_ value: T, status: Int = 200, headers: [(String, String)] = []) throws -> HTTP2Response {
        response(bytes: try encoder().encode(value), status: status, headers: headers)
    }

    // Tickets, the documents every create, command and offer answers with, are written by
    // `TicketJSONWriter` (the same document as the encoder's, at a fraction of its cost).

    static func response(_ ticket: Ticket, status: Int = 200, headers: [(String, String)] = []) -> HTTP2Response {
        response(bytes: TicketJSONWriter.apiDocument(ticket), status: status, headers: headers)
    }

    static func response(_ list: TicketListResponse) -> HTTP2Response {
        response(bytes: TicketJSONWriter.apiObject(fields: [("next_cursor", list.nextCursor)], arrayKey: "tickets", tickets: list.tickets))
    }

    static func response(_ offers: AgentOffersResponse) -> HTTP2Response {
        response(bytes: TicketJSONWriter.apiObject(fields: [("agent_id", offers.agentID)], arrayKey: "offers", tickets: offers.offers))
    }

    static func response(_ assignments: AgentAssignmentsResponse) -> HTTP2Response {
        response(bytes: TicketJSONWriter.apiObject(fields: [("agent_id", assignments.agentID)], arrayKey: "tickets", tickets: assignments.tickets))
    }

    private static func response<Bytes: Sequence<UInt8>>(bytes: Bytes, status: Int = 200, headers: [(String, String)] = []) -> HTTP2Response {
        var response = HTTP2Response.json(ByteBuffer(bytes: bytes), status: status)
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }

    /// Decodes the body as `T` in one parse, refusing keys outside `schema` (nested objects by
    /// path) first. Errors name the offending field.
    static func decode<T: Decodable>(_ type: T.Type, from request: HTTP2Request, schema: KeySchema) throws -> T {
        let data = Data(request.body.readableBytesView)
        if data.isEmpty { throw APIError(status: 400, code: "malformed_json", message: "the request needs a JSON body") }
        let decoder = self.decoder()
        // The byte scan settles almost every body; only when it cannot (escaped keys, broken
        // JSON) does the decoder walk its containers to find the unknown key.
        switch data.withUnsafeBytes({ JSONKeyScanner.scan($0, schema: schema) }) {
        case .unknown(let path, let key):
            throw schema.unknownField(path: path, key: key)
        case .undecided:
            decoder.userInfo[KeySchema.userInfoKey] = schema
        case .allKnown:
            break
        }
        do {
            return try decoder.decode(Strict<T>.self, from: data).value
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                if let field = unfittingNumber(Strict<T>.self, in: data, decoder: decoder) {
                    throw APIError(status: 400, code: "invalid_field", message: "\(field) must be a whole number in range")
                }
                throw APIError(status: 400, code: "malformed_json", message: "the body is not valid JSON")
            }
            if case .typeMismatch(_, let context) = error, context.codingPath.isEmpty {
                throw APIError(status: 400, code: "invalid_field", message: "body must be a JSON object")
            }
            throw APIError(status: 400, code: "invalid_field", message: describe(error))
        }
    }

    /// Foundation's decoder reports a number an integer field cannot hold (`2.5`, `1e23`) as
    /// invalid JSON, without the field. Valid JSON is not malformed: this finds the field by
    /// setting the candidate numbers to 0 one after another (in document order) until the decode
    /// stops failing that way; the last one set is a field that refused its number.
    static func unfittingNumber<S: Decodable>(_ type: S.Type, in data: Data, decoder: JSONDecoder) -> String? {
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else { return nil }
        let bytes = [UInt8](data)
        let candidates = JSONNumberLocator.candidates(in: bytes)
        var patched = Set<Int>()
        for (position, candidate) in candidates.enumerated() {
            patched.insert(position)
            var attempt = bytes
            // Replacing from the end keeps the earlier ranges valid.
            for index in patched.sorted(by: >) { attempt.replaceSubrange(candidates[index].range, with: [UInt8(ascii: "0")]) }
            do {
                _ = try decoder.decode(S.self, from: Data(attempt))
                return candidate.path
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                continue
            } catch {
                return candidate.path
            }
        }
        return nil
    }

    /// Checks the keys against the schema in the decoder's user info, then decodes `T` from the
    /// same decoder: the body is parsed once.
    struct Strict<T: Decodable>: Decodable {
        var value: T

        init(from decoder: any Decoder) throws {
            if let schema = decoder.userInfo[KeySchema.userInfoKey] as? KeySchema {
                try schema.check(try decoder.container(keyedBy: AnyKey.self), path: "")
            }
            value = try T(from: decoder)
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "\(parent == "body" ? "" : parent + ".")\(key.stringValue) is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) has the wrong type (expected \(jsonTypeName(type)))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) must not be null (expected \(jsonTypeName(type)))"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "the body does not match the expected shape"
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default:
            String(describing: type).contains("Array") ? "an array"
                : String(describing: type).contains("Dictionary") ? "an object" : "a \(String(describing: type))"
        }
    }
}

/// The keys an API object may carry: a set per path (`""` is the top level, `customer`,
/// `required_skills[]` for each array element). Paths not listed are free-form maps.
struct KeySchema: Sendable {
    var allowed: [String: Set<String>]

    static let userInfoKey = CodingUserInfoKey(rawValue: "ringdesk.keySchema")!

    /// Walks the objects the schema names (and arrays of them), refusing unknown keys. Values of
    /// the wrong type are left to the typed decode, which names them.
    func check(_ container: KeyedDecodingContainer<AnyKey>, path: String) throws {
        if let keys = allowed[path] {
            for key in container.allKeys where !keys.contains(key.stringValue) {
                throw unknownField(path: path, key: key.stringValue)
            }
        }
        for key in container.allKeys {
            let child = path.isEmpty ? key.stringValue : "\(path).\(key.stringValue)"
            if allowed[child] != nil, let nested = try? container.nestedContainer(keyedBy: AnyKey.self, forKey: key) {
                try check(nested, path: child)
            }
            if allowed[child + "[]"] != nil, var array = try? container.nestedUnkeyedContainer(forKey: key) {
                while !array.isAtEnd {
                    if let element = try? array.nestedContainer(keyedBy: AnyKey.self) {
                        try check(element, path: child + "[]")
                    } else {
                        _ = try array.decode(Skip.self)  // not an object: move on, the typed decode reports it
                    }
                }
            }
        }
    }

    func unknownField(path: String, key: String) -> APIError {
        let name = path.isEmpty ? key : "\(path).\(key)"
        let keys = allowed[path] ?? []
        return APIError(status: 400, code: "unknown_field", message: "unknown field '\(name)'; allowed here: \(keys.sorted().joined(separator: ", "))")
    }

    /// Consumes one value of any type.
    private struct Skip: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    static let ticketDraft = KeySchema(allowed: [
        "": ["category", "channel", "customer", "subject", "body", "required_skills", "preferred_agent_id", "queue"],
        "customer": ["id", "tier", "order_id", "order_value", "language", "region", "deadline"],
        "required_skills[]": ["skill", "min_level"],
    ])
    static let agentProfile = KeySchema(allowed: [
        "": ["id", "name", "regions", "languages", "skills", "support_tier", "channel_capacity"],
    ])
    static let event = KeySchema(allowed: [
        "": ["type", "actor", "text", "internal", "question", "queue", "required_skills", "reason", "note", "urgency"],
        "actor": ["kind", "id"],
        "required_skills[]": ["skill", "min_level"],
    ])
    static let feedback = KeySchema(allowed: ["": ["rating", "comment"]])
    static let presence = KeySchema(allowed: ["": ["presence"]])
    static let offerAnswer = KeySchema(allowed: ["": ["reason"]])
    static let membershipChange = KeySchema(allowed: ["": ["action", "node"]])
    static let shardCommand = KeySchema(allowed: ["": ["op", "ticket_id", "idempotency_key", "payload", "at", "agent", "epoch",
                                                      "lease_until", "now", "kind"]])
}

/// Any key: for reading the keys an object actually has.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// An error answered as `{code, message}` with `status`.
struct APIError: Error, Sendable {
    var status: Int
    var code: String
    var message: String
}
