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
    }

    public func match(method: String, path: String) -> Match {
        if let byMethod = exact[path] {
            if let route = byMethod[method] { return .found(route.handler, template: route.template, parameters: [:]) }
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
                if case .parameter(let name) = segment { parameters[name] = percentDecoded(String(part)) }
            }
            return .found(route.handler, template: route.template, parameters: parameters)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed.sorted())
    }
}
