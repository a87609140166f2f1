import Foundation
import NIOCore
import RingdeskHTTP2
import RingdeskService

/// JSON in and out of the API: ISO 8601 dates with milliseconds, strict decoding (unknown fields
/// are refused with the field's path), and bodies that must be objects.
enum APIJSON {
    static func encoder() -> JSONEncoder { ISO8601Millis.encoder() }

    static func decoder() -> JSONDecoder { ISO8601Millis.decoder() }

    static func response<T: Encodable>(_ value: T, status: Int = 200, headers: [(String, String)] = []) throws -> HTTP2Response {
        let data = try encoder().encode(value)
        var response = HTTP2Response.json(ByteBuffer(bytes: data), status: status)
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }

    /// Parses the body as a JSON object, refusing keys outside `schema` (nested objects by path),
    /// then decodes it as `T`. Errors name the offending field.
    static func decode<T: Decodable>(_ type: T.Type, from request: HTTP2Request, schema: KeySchema) throws -> T {
        let data = Data(request.body.readableBytesView)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw APIError(status: 400, code: "malformed_json", message: data.isEmpty ? "the request needs a JSON body" : "the body is not valid JSON")
        }
        guard object is [String: Any] else {
            throw APIError(status: 400, code: "malformed_json", message: "the body must be a JSON object")
        }
        try schema.check(object, path: "")
        do {
            return try decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError(status: 400, code: "invalid_field", message: describe(error))
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
        default: String(describing: type).contains("Array") ? "an array" : "an object or value"
        }
    }
}

/// The keys an API object may carry: a set per path (`""` is the top level, `customer`,
/// `required_skills[]` for each array element). Paths not listed are free-form maps.
struct KeySchema: Sendable {
    var allowed: [String: Set<String>]

    func check(_ value: Any, path: String) throws {
        if let object = value as? [String: Any] {
            if let keys = allowed[path] {
                for key in object.keys where !keys.contains(key) {
                    let name = path.isEmpty ? key : "\(path).\(key)"
                    throw APIError(status: 400, code: "unknown_field", message: "unknown field '\(name)'; allowed here: \(keys.sorted().joined(separator: ", "))")
                }
            }
            for (key, child) in object {
                try check(child, path: path.isEmpty ? key : "\(path).\(key)")
            }
        } else if let array = value as? [Any] {
            for element in array { try check(element, path: path + "[]") }
        }
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
}

/// An error answered as `{code, message}` with `status`.
struct APIError: Error, Sendable {
    var status: Int
    var code: String
    var message: String
}
