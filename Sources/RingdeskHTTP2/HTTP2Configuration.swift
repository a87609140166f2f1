import NIOCore
import NIOSSL

/// Everything a server connection enforces on its peer. Defaults suit a node on a private network.
public struct HTTP2ServerConfiguration: Sendable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS advertised to clients; excess streams are refused.
    public var maxConcurrentStreams: UInt32 = 1024
    /// SETTINGS_MAX_HEADER_LIST_SIZE; a header block over it ends the connection (ENHANCE_YOUR_CALM).
    public var maxHeaderListSize: Int = 16 * 1024
    /// Request bodies larger than this get 413 with a JSON error.
    public var maxRequestBodySize: Int = 4 * 1024 * 1024
    /// Node-to-node routes (paths under this prefix) take bodies up to `maxInternalRequestBodySize`
    /// instead: Raft batches and snapshot chunks are larger than any client request, and a node
    /// whose clients are held to a small limit must still replicate.
    public var internalPathPrefix: String = "/internal/"
    public var maxInternalRequestBodySize: Int = 64 * 1024 * 1024
    /// Per-stream receive window advertised in SETTINGS_INITIAL_WINDOW_SIZE.
    public var initialWindowSize: UInt32 = 1024 * 1024
    /// SETTINGS_MAX_FRAME_SIZE advertised to clients.
    public var maxFrameSize: UInt32 = 16 * 1024
    /// Connection timeouts; see `HTTP2ConnectionStateMachine.Timeouts`.
    public var idleTimeout: TimeAmount = .seconds(120)
    public var headerReadTimeout: TimeAmount = .seconds(10)
    public var requestReadTimeout: TimeAmount = .seconds(30)
    public var writeStallTimeout: TimeAmount = .seconds(30)
    /// Delay between the GOAWAY notice and the final GOAWAY during graceful shutdown.
    public var goAwayDelay: TimeAmount = .milliseconds(200)
    /// How long in-flight streams may run after graceful shutdown starts.
    public var shutdownGrace: TimeAmount = .seconds(10)
    /// Buffered bytes of a streaming response above which `write` suspends.
    public var streamHighWaterMark: Int = 256 * 1024
    /// Optional TLS; ALPN offers only "h2". Nil serves cleartext prior-knowledge h2c.
    public var tls: TLSConfiguration?

    public init() {}

    public static var defaults: HTTP2ServerConfiguration { HTTP2ServerConfiguration() }

    var sessionLimits: NGHTTP2SessionLimits {
        NGHTTP2SessionLimits(
            maxConcurrentStreams: maxConcurrentStreams, maxHeaderListSize: maxHeaderListSize,
            initialWindowSize: initialWindowSize, maxFrameSize: maxFrameSize
        )
    }

    var timeouts: HTTP2ConnectionStateMachine.Timeouts {
        HTTP2ConnectionStateMachine.Timeouts(
            idle: idleTimeout, headerRead: headerReadTimeout, requestRead: requestReadTimeout,
            writeStall: writeStallTimeout, goAwayDelay: goAwayDelay, shutdownGrace: shutdownGrace
        )
    }

    /// Timer granularity: a quarter of the shortest timeout, between 5 ms and 1 s.
    var tickInterval: TimeAmount {
        let shortest = [idleTimeout, headerReadTimeout, requestReadTimeout, writeStallTimeout, goAwayDelay].min()!
        return .nanoseconds(min(max(shortest.nanoseconds / 4, 5_000_000), 1_000_000_000))
    }
}

/// Client behaviour: limits and the default per-request deadline.
public struct HTTP2ClientConfiguration: Sendable {
    public var connectTimeout: TimeAmount = .seconds(5)
    public var defaultRequestTimeout: TimeAmount = .seconds(30)
    public var maxHeaderListSize: Int = 64 * 1024
    public var initialWindowSize: UInt32 = 1024 * 1024
    public var maxResponseBodySize: Int = 64 * 1024 * 1024
    /// Optional TLS with ALPN "h2"; nil speaks prior-knowledge h2c.
    public var tls: TLSConfiguration?

    public init() {}

    public static var defaults: HTTP2ClientConfiguration { HTTP2ClientConfiguration() }

    var sessionLimits: NGHTTP2SessionLimits {
        NGHTTP2SessionLimits(
            maxConcurrentStreams: 100, maxHeaderListSize: maxHeaderListSize,
            initialWindowSize: initialWindowSize, maxFrameSize: 16 * 1024
        )
    }
}

/// Failures the transport reports to its callers; `code` is stable, `message` is for people.
public struct HTTP2TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func streamClosed(_ detail: String = "the peer closed or reset the stream") -> Self {
        Self(code: "stream_closed", message: detail)
    }
    public static let connectionClosed = Self(code: "connection_closed", message: "the connection closed before the response completed")
    /// The request was never sent: the connection was closing or could not take a new stream.
    public static let connectionUnavailable = Self(code: "connection_unavailable", message: "the connection could not take a new stream")
    public static let deadlineExceeded = Self(code: "deadline_exceeded", message: "the request did not complete before its deadline")
    public static let clientShutDown = Self(code: "client_shut_down", message: "the client was shut down")
    public static func protocolError(_ detail: String) -> Self { Self(code: "protocol_error", message: detail) }
    public static func responseTooLarge(_ limit: Int) -> Self {
        Self(code: "response_too_large", message: "response body exceeds \(limit) bytes")
    }
}
