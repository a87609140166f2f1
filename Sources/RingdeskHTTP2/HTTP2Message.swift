import NIOCore

/// Regular (non-pseudo) header fields, lower-case names as HTTP/2 requires.
public struct HTTP2Headers: Sendable, Hashable, Sequence {
    public private(set) var fields: [HTTP2Field]

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { HTTP2Field($0.0.lowercased(), $0.1) }
    }

    init(fields: [HTTP2Field]) {
        self.fields = fields
    }

    public subscript(name: String) -> String? {
        let lower = name.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) ? name.lowercased() : name
        for field in fields where field.name == lower { return field.value }
        return nil
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append(HTTP2Field(name.lowercased(), value))
    }

    public mutating func replace(_ name: String, _ value: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name == lower }
        fields.append(HTTP2Field(lower, value))
    }

    public func makeIterator() -> IndexingIterator<[HTTP2Field]> { fields.makeIterator() }
}

/// A complete request as a handler sees it.
public struct HTTP2Request: Sendable {
    public var method: String
    public var path: String
    public var query: String?
    public var authority: String?
    public var scheme: String
    public var headers: HTTP2Headers
    public var body: ByteBuffer
    /// Values captured by `{name}` segments of the matched route.
    public var pathParameters: [String: String] = [:]
    /// The matched route template (e.g. `/v1/tickets/{id}`), bounded for metric labels.
    public var routeTemplate: String = ""

    public init(method: String, path: String, query: String? = nil, authority: String? = nil, scheme: String = "http", headers: HTTP2Headers = HTTP2Headers(), body: ByteBuffer = ByteBuffer()) {
        self.method = method
        self.path = path
        self.query = query
        self.authority = authority
        self.scheme = scheme
        self.headers = headers
        self.body = body
    }

    /// Query items split on `&` and `=`, percent-decoded.
    public var queryItems: [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)  // `=v`: name ""
            let key = percentDecoded(String(parts[0]))
            items[key] = parts.count > 1 ? percentDecoded(String(parts[1])) : ""
        }
        return items
    }
}

/// A complete response (status, headers and whole body).
public struct HTTP2Response: Sendable {
    public var status: Int
    public var headers: HTTP2Headers
    public var body: ByteBuffer

    public init(status: Int = 200, headers: HTTP2Headers = HTTP2Headers(), body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from already-encoded bytes.
    public static func json(_ body: ByteBuffer, status: Int = 200) -> HTTP2Response {
        HTTP2Response(status: status, headers: HTTP2Headers([("content-type", "application/json")]), body: body)
    }

    /// The project-wide error shape: `{"code": "...", "message": "..."}`.
    public static func error(status: Int, code: String, message: String) -> HTTP2Response {
        let text = #"{"code":"\#(jsonEscaped(code))","message":"\#(jsonEscaped(message))"}"#
        return .json(ByteBuffer(string: text), status: status)
    }
}

/// An error a handler throws to answer with a specific status and `{code, message}` body.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }
    public var response: HTTP2Response { .error(status: status, code: code, message: message) }

    public static func badRequest(_ message: String, code: String = "bad_request") -> HTTPError {
        HTTPError(status: 400, code: code, message: message)
    }
    public static func notFound(_ message: String, code: String = "not_found") -> HTTPError {
        HTTPError(status: 404, code: code, message: message)
    }
}

/// Escapes a string for inclusion between JSON quotes.
func jsonEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

func percentDecoded(_ text: String) -> String {
    guard text.contains("%") || text.contains("+") else { return text }
    return String(decoding: percentDecodedBytes(text), as: UTF8.self)
}

/// The bytes a percent-encoded component stands for (`+` is a space).
func percentDecodedBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.popFirst() {
        if byte == UInt8(ascii: "+") {
            bytes.append(UInt8(ascii: " "))
        } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
                  let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        } else {
            bytes.append(byte)
        }
    }
    return bytes
}
