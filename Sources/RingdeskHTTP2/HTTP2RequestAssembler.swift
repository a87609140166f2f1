import NIOCore

/// Turns the header block and DATA chunks of one stream into a complete `HTTP2Request`,
/// enforcing the body limit. Pure: the connection handler feeds it events and performs its actions.
struct HTTP2RequestAssembler {
    enum State {
        case awaitingHeaders
        case receivingBody(ReceivingBody)
        /// Dispatched or rejected: further DATA is dropped (nghttp2 still credits flow control).
        case done
    }

    struct ReceivingBody {
        var request: HTTP2Request
        var declaredLength: Int?
    }

    enum Action {
        case none
        case dispatch(HTTP2Request)
        case reject(HTTP2Response)
    }

    private(set) var state: State = .awaitingHeaders
    let maxBodySize: Int

    init(maxBodySize: Int) {
        self.maxBodySize = maxBodySize
    }

    mutating func headersReceived(_ fields: [HTTP2Field], endStream: Bool) -> Action {
        switch state {
        case .awaitingHeaders:
            var method: String?
            var path: String?
            var scheme = "http"
            var authority: String?
            var regular: [HTTP2Field] = []
            regular.reserveCapacity(fields.count)
            for field in fields {
                switch field.name {
                case ":method": method = field.value
                case ":path": path = field.value
                case ":scheme": scheme = field.value
                case ":authority": authority = field.value
                default: regular.append(field)
                }
            }
            guard let method, let fullPath = path, !fullPath.isEmpty else {
                state = .done
                return .reject(.error(status: 400, code: "malformed_request", message: "request is missing :method or :path"))
            }
            var declared: Int?
            if let value = regular.first(where: { $0.name == "content-length" })?.value {
                guard let length = Int(value), length >= 0 else {
                    state = .done
                    return .reject(.error(status: 400, code: "malformed_request", message: "content-length is not a non-negative integer"))
                }
                declared = length
            }
            if let declared, declared > maxBodySize {
                state = .done
                return .reject(Self.tooLarge(limit: maxBodySize))
            }
            let (pathPart, query) = Self.splitQuery(fullPath)
            var request = HTTP2Request(
                method: method, path: pathPart, query: query, authority: authority, scheme: scheme,
                headers: HTTP2Headers(fields: regular)
            )
            if endStream {
                state = .done
                return .dispatch(request)
            }
            if let declared { request.body.reserveCapacity(declared) }
            state = .receivingBody(ReceivingBody(request: request, declaredLength: declared))
            return .none
        case .receivingBody(var receiving):
            // A second header block is a trailer section; only its END_STREAM matters here.
            guard endStream else { return .none }
            state = .done
            receiving.request.headers = receiving.request.headers
            return .dispatch(receiving.request)
        case .done:
            return .none
        }
    }

    mutating func dataReceived(_ bytes: ByteBuffer) -> Action {
        guard case .receivingBody(var receiving) = state else { return .none }
        if receiving.request.body.readableBytes + bytes.readableBytes > maxBodySize {
            state = .done
            return .reject(Self.tooLarge(limit: maxBodySize))
        }
        var bytes = bytes
        // Avoid a copy-on-write of the partially built request while it sits in `state`.
        state = .done
        receiving.request.body.writeBuffer(&bytes)
        state = .receivingBody(receiving)
        return .none
    }

    mutating func endOfStream() -> Action {
        guard case .receivingBody(let receiving) = state else { return .none }
        state = .done
        return .dispatch(receiving.request)
    }

    static func tooLarge(limit: Int) -> HTTP2Response {
        .error(status: 413, code: "payload_too_large", message: "request body exceeds the limit of \(limit) bytes")
    }

    static func splitQuery(_ path: String) -> (String, String?) {
        guard let mark = path.firstIndex(of: "?") else { return (path, nil) }
        return (String(path[..<mark]), String(path[path.index(after: mark)...]))
    }
}
