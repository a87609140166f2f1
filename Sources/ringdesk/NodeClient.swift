import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import RingdeskHTTP2

/// A thin JSON client of one node: sends requests over one HTTP/2 connection, turns non-2xx
/// answers into `CLIError.api` and transport failures into errors that name the node.
struct NodeClient: Sendable {
    /// A response that succeeded (2xx): status and the body's bytes.
    struct Reply: Sendable {
        var status: Int
        var headers: HTTP2Headers = HTTP2Headers()
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            do {
                return try WireJSON.decoder().decode(T.self, from: body)
            } catch {
                throw CLIError.badResponse("cannot read the node's \(T.self) answer: \(error)")
            }
        }
    }

    let http: HTTP2Client
    let peer: HTTP2Client.Peer
    let label: String
    let timeout: Double

    init(peer: HTTP2Client.Peer, label: String, timeout: Double, tls: TLSConfiguration? = nil) throws {
        var configuration = HTTP2ClientConfiguration.defaults
        configuration.tls = tls
        configuration.connectTimeout = .milliseconds(Int64(min(timeout, 10) * 1000))
        configuration.defaultRequestTimeout = .milliseconds(Int64(timeout * 1000))
        self.http = try HTTP2Client(group: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        self.peer = peer
        self.label = label
        self.timeout = timeout
    }

    func shutdown() async { await http.shutdown() }

    /// Sends one request; `timeout` overrides the default (long polls need longer).
    @discardableResult
    func send(_ method: String, _ path: String, body: Data? = nil, headers: [(String, String)] = [],
              timeout: Double? = nil) async throws -> Reply {
        let request = Self.request(method, path, body: body, headers: headers)
        let seconds = timeout ?? self.timeout
        let response: HTTP2ClientResponse
        do {
            response = try await http.execute(request, to: peer, timeout: .milliseconds(Int64(seconds * 1000)))
        } catch {
            throw mapped(error, seconds: seconds)
        }
        let data = Data(response.body.readableBytesView)
        guard (200..<300).contains(response.status) else { throw Self.apiError(status: response.status, body: data) }
        return Reply(status: response.status, headers: response.headers, body: data)
    }

    /// JSON-encodes `value` as the body.
    @discardableResult
    func send<Body: Encodable>(_ method: String, _ path: String, json value: Body, headers: [(String, String)] = []) async throws -> Reply {
        let data: Data
        do { data = try WireJSON.encoder().encode(value) } catch {
            throw CLIError.input("cannot encode the request: \(error)")
        }
        return try await send(method, path, body: data, headers: headers)
    }

    func get<T: Decodable>(_ type: T.Type, _ path: String, timeout: Double? = nil) async throws -> (T, Reply) {
        let reply = try await send("GET", path, timeout: timeout)
        return (try reply.decode(T.self), reply)
    }

    /// Opens a streaming response; non-2xx answers are read whole and thrown as API errors.
    func stream(_ path: String, accept: String = "application/x-ndjson") async throws -> HTTP2ClientStreamingResponse {
        let request = Self.request("GET", path, body: nil, headers: [("accept", accept)])
        let response: HTTP2ClientStreamingResponse
        do {
            response = try await http.stream(request, to: peer, timeout: .milliseconds(Int64(timeout * 1000)))
        } catch {
            throw mapped(error, seconds: timeout)
        }
        guard (200..<300).contains(response.status) else {
            var data = Data()
            do {
                for try await chunk in response.body { data.append(contentsOf: chunk.readableBytesView) }
            } catch {
                throw mapped(error, seconds: timeout)
            }
            throw Self.apiError(status: response.status, body: data)
        }
        return response
    }

    /// Maps a transport failure to an error that names the node.
    func mapped(_ error: any Error, seconds: Double) -> CLIError {
        switch error {
        case let error as CLIError:
            return error
        case let error as HTTP2TransportError where error.code == HTTP2TransportError.deadlineExceeded.code:
            return .timedOut(node: label, seconds: seconds)
        case let error as HTTP2TransportError:
            return .transport(node: label, code: error.code, detail: error.message)
        case let error as IOError:
            return .unreachable(node: label, detail: Self.describe(error))
        case let error as ChannelError:
            if case .connectTimeout = error { return .unreachable(node: label, detail: "connection timed out") }
            return .transport(node: label, code: "channel_error", detail: "\(error)")
        default:
            return .unreachable(node: label, detail: Self.describe(error))
        }
    }

    /// `NIOConnectionError` lists every address tried; keep the first underlying reason.
    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error) }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve \(error.host): \(dns)" }
            return "no address for \(error.host)"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }

    static func request(_ method: String, _ path: String, body: Data?, headers: [(String, String)]) -> HTTP2ClientRequest {
        var all = HTTP2Headers([("user-agent", "ringdesk-cli")])
        if !headers.contains(where: { $0.0 == "accept" }) { all.add("accept", "application/json") }
        if body != nil { all.add("content-type", "application/json") }
        for (name, value) in headers { all.add(name, value) }
        return HTTP2ClientRequest(method: method, path: path, headers: all, body: body.map { ByteBuffer(bytes: $0) })
    }

    static func apiError(status: Int, body: Data) -> CLIError {
        struct APIErrorBody: Decodable {
            var code: String
            var message: String
        }
        if let error = try? JSONDecoder().decode(APIErrorBody.self, from: body) {
            return .api(status: status, code: error.code, message: error.message)
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return .api(status: status, code: "http_\(status)", message: text.isEmpty ? "the node answered status \(status)" : text)
    }
}

/// The API's JSON conventions: snake_case keys come from the domain types' coding keys; dates
/// are ISO 8601 strings, with or without milliseconds.
enum WireJSON {
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 date-time, got '\(text)'")
        }
        return decoder
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// Builds `/path?key=value&…` with values percent-encoded (`+` too: the node decodes it as a space).
struct Query {
    private var items: [(String, String)] = []

    mutating func add(_ name: String, _ value: String?) {
        if let value { items.append((name, value)) }
    }

    func path(_ base: String) -> String {
        guard !items.isEmpty else { return base }
        return base + "?" + items.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
    }

    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

/// Escapes one path segment (ids are plain identifiers, but user input may not be).
func segment(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: Query.unreserved.union(CharacterSet(charactersIn: ":@+"))) ?? text
}
