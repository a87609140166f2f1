/// Maps method and path to a handler; templates use `{name}` segments (`/v1/tickets/{id}`).
public struct HTTP2Router: Sendable {
    /// How a route produces its answer.
    public enum Handler: Sendable {
        /// Runs on the connection's event loop: for cheap, non-blocking work only (health, echo).
        case inline(@Sendable (HTTP2Request) -> HTTP2Response)
        /// Runs as a task; the response is sent when it returns.
        case async(@Sendable (HTTP2Request) async throws -> HTTP2Response)
        /// Runs on the connection's event loop and answers later, from any thread, through the
        /// responder (once; later answers are ignored). For routes that hand work to another
        /// thread and get a callback: no task and no cooperative thread per request.
        case deferred(@Sendable (HTTP2Request, HTTP2Responder) -> Void)
        /// Runs as a task that writes the response over time through the writer.
        case streaming(@Sendable (HTTP2Request, HTTP2ResponseWriter) async throws -> Void)
    }

    private struct Route: Sendable {
        var method: String
        var template: String
        var segments: [Segment]
        var handler: Handler
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    /// Exact-path routes are looked up in a dictionary: the hot path does no segment matching.
    private var exact: [String: [String: Route]] = [:]
    private var templated: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ template: String, _ handler: Handler) {
        let segments = template.split(separator: "/").map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(String(part))
        }
        let route = Route(method: method, template: template, segments: segments, handler: handler)
        if segments.allSatisfy({ if case .literal = $0 { true } else { false } }) {
            exact[template, default: [:]][method] = route
        } else {
            templated.append(route)
        }
    }

    /// Replaces the handler of every route whose template `selected` accepts with `wrap` of it
    /// (a node answers its public routes with 503 until it is ready, say).
    public mutating func wrapHandlers(where selected: (_ template: String) -> Bool, _ wrap: (Handler) -> Handler) {
        for (path, byMethod) in exact {
            for (method, route) in byMethod where selected(route.template) {
                exact[path]![method]!.handler = wrap(route.handler)
            }
        }
        for index in templated.indices where selected(templated[index].template) {
            templated[index].handler = wrap(templated[index].handler)
        }
    }

    /// Every registered route as (method, template), sorted: for contract tests against the API spec.
    public var routes: [(method: String, template: String)] {
        let all = exact.values.flatMap { $0.values } + templated
        return all.map { ($0.method, $0.template) }.sorted { ($0.template, $0.method) < ($1.template, $1.method) }
    }

    /// What routing decided for a request.
    public enum Match: Sendable {
        case found(Handler, template: String, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
        /// The route exists, but a path parameter or query value decodes to text no route accepts
        /// (control characters, invalid UTF-8): refused here, once, so that no handler sees
        /// `T1%00garbage` cut short to `T1` by a C API or a store.
        case invalidParameter(name: String, message: String)
    }

    /// Matches the path, then checks every decoded path parameter and query item (`query` is the
    /// raw text after `?`).
    public func match(method: String, path: String, query: String? = nil) -> Match {
        if let byMethod = exact[path] {
            if let route = byMethod[method] {
                if let refusal = Self.refusal(query: query) { return refusal }
                return .found(route.handler, template: route.template, parameters: [:])
            }
            return .methodNotAllowed(allowed: byMethod.keys.sorted())
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [String] = []
        for route in templated where route.segments.count == parts.count {
            // Literals first, with no allocation; parameters are decoded only for the match.
            let literalsMatch = zip(route.segments, parts).allSatisfy { segment, part in
                if case .literal(let literal) = segment { literal == part } else { true }
            }
            guard literalsMatch else { continue }
            guard route.method == method else {
                allowed.append(route.method)
                continue
            }
            var parameters: [String: String] = [:]
            for (segment, part) in zip(route.segments, parts) {
                guard case .parameter(let name) = segment else { continue }
                guard let value = Self.acceptedText(percentDecoding: String(part)) else {
                    return .invalidParameter(name: name, message: "path parameter '\(name)' must be UTF-8 text without control characters")
                }
                parameters[name] = value
            }
            if let refusal = Self.refusal(query: query) { return refusal }
            return .found(route.handler, template: route.template, parameters: parameters)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed.sorted())
    }

    /// The first query item whose decoded name or value is not acceptable text, as a refusal.
    static func refusal(query: String?) -> Match? {
        guard let query, !query.isEmpty else { return nil }
        for pair in query.split(separator: "&") {
            // Empty sides kept: `=` alone or `=v` is an item with an empty name (the default split
            // dropped them, and `=` left no part 0: one such query stopped the node).
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = acceptedText(percentDecoding: String(parts[0])) else {
                let shown = String(parts[0].prefix(64))
                return .invalidParameter(name: shown, message: "query parameter name '\(shown)' must be UTF-8 text without control characters")
            }
            if parts.count > 1, acceptedText(percentDecoding: String(parts[1])) == nil {
                return .invalidParameter(name: name, message: "query parameter '\(name)' must be UTF-8 text without control characters")
            }
        }
        return nil
    }

    /// Percent-decodes a path segment or query component; nil when the bytes are not UTF-8 or
    /// hold a control character (C0, DEL, C1), which body values may not carry either.
    static func acceptedText(percentDecoding text: String) -> String? {
        let decoded = percentDecodedBytes(text)
        guard let value = String(validating: decoded, as: UTF8.self) else { return nil }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return nil }
        return value
    }
}
