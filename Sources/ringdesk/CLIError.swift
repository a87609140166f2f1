/// What a command reports on failure: printed as `error: <description>` with exit code 1.
enum CLIError: Error, CustomStringConvertible {
    /// The node answered `{code, message}` with a non-2xx status.
    case api(status: Int, code: String, message: String)
    /// No connection could be made to the node.
    case unreachable(node: String, detail: String)
    /// The node did not answer before the deadline.
    case timedOut(node: String, seconds: Double)
    /// The connection broke or the HTTP/2 exchange failed.
    case transport(node: String, code: String, detail: String)
    /// The node answered something this client cannot read.
    case badResponse(String)
    /// A local input problem found after parsing (for example an unreadable file).
    case input(String)
    /// A scripted run (the demo) did not complete.
    case failed(String)
    /// A local file could not be written (for example `backup --output`).
    case output(String)

    /// The node is down, slow or cannot serve right now (5xx): another node may.
    var isUnavailable: Bool {
        switch self {
        case .unreachable, .timedOut, .transport: true
        case .api(let status, _, _): status >= 500
        default: false
        }
    }

    var description: String {
        switch self {
        case let .api(_, code, message): "\(code): \(message)"
        case let .unreachable(node, detail): "cannot reach node \(node): \(detail)"
        case let .timedOut(node, seconds): "node \(node) did not answer within \(Format.duration(seconds))"
        case let .transport(node, code, detail): "\(code): talking to node \(node): \(detail)"
        case let .badResponse(detail): "bad_response: \(detail)"
        case let .input(detail): "invalid_input: \(detail)"
        case let .failed(detail): "failed: \(detail)"
        case let .output(detail): "output_error: \(detail)"
        }
    }

    /// The API error code, when the node sent one.
    var apiCode: String? {
        if case let .api(_, code, _) = self { return code }
        return nil
    }
}
