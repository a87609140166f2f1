import CNGHTTP2
import NIOCore

/// What the nghttp2 engine reported while it consumed input or produced output.
///
/// The session collects these during a call into the C library and the owner drains them
/// afterwards, so no Swift code runs re-entrantly inside an nghttp2 callback.
enum HTTP2SessionEvent {
    /// A complete header block arrived (request or response head, or trailers).
    case headers(streamID: Int32, fields: [HTTP2Field], endStream: Bool)
    /// A chunk of DATA payload arrived.
    case data(streamID: Int32, bytes: ByteBuffer)
    /// The peer half-closed the stream after DATA (END_STREAM on a DATA frame).
    case endStream(streamID: Int32)
    /// The stream is gone; `errorCode` is the RST_STREAM code or 0 for a clean close.
    case streamClosed(streamID: Int32, errorCode: UInt32)
    /// The peer sent GOAWAY.
    case goAway(lastStreamID: Int32, errorCode: UInt32)
    /// The engine pulled body bytes for a stream; `remaining` are still buffered on our side.
    case bodyDrained(streamID: Int32, remaining: Int)
    /// A header block exceeded the configured list size; the connection is being torn down.
    case headerListTooLarge(streamID: Int32)
}

/// A header field as it travels on the wire (pseudo-headers included).
public struct HTTP2Field: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// HTTP/2 error codes from RFC 9113 §7 that the transport uses by name.
public enum HTTP2ErrorCode: UInt32, Sendable {
    case noError = 0x0
    case protocolError = 0x1
    case internalError = 0x2
    case flowControlError = 0x3
    case settingsTimeout = 0x4
    case streamClosed = 0x5
    case frameSizeError = 0x6
    case refusedStream = 0x7
    case cancel = 0x8
    case compressionError = 0x9
    case connectError = 0xa
    case enhanceYourCalm = 0xb
    case inadequateSecurity = 0xc
    case http11Required = 0xd
}

/// A fatal error from the engine: the connection cannot continue.
struct NGHTTP2Failure: Error, CustomStringConvertible {
    var code: Int32
    var description: String { "nghttp2: \(String(cString: nghttp2_strerror(code))) (\(code))" }
}

/// Settings advertised to the peer and limits enforced on it.
struct NGHTTP2SessionLimits {
    var maxConcurrentStreams: UInt32
    var maxHeaderListSize: Int
    var initialWindowSize: UInt32
    var maxFrameSize: UInt32
}

/// The only place in Ringdesk that holds an `nghttp2_session *`.
///
/// Confined to one event loop (not `Sendable`). Input goes in with `receive`, output comes out with
/// `produceOutput`, and everything the engine reports is queued as `HTTP2SessionEvent`s.
final class NGHTTP2Session {
    enum Role { case server, client }

    /// Body bytes waiting for the engine to pull them (flow control decides when).
    private struct OutboundBody {
        var pending: ByteBuffer
        var ended: Bool
    }

    private var session: OpaquePointer?
    private(set) var events: [HTTP2SessionEvent] = []
    private var outbound: [Int32: OutboundBody] = [:]
    /// Header blocks are never interleaved on a connection, so one block is assembled at a time.
    private var blockStreamID: Int32 = 0
    private var blockFields: [HTTP2Field] = []
    private var blockSize = 0
    /// The input buffer during `receive`, so DATA chunks can be sliced from it without copying.
    private var input: ByteBuffer?
    private var inputBase: UnsafeRawPointer?
    private var inputCount = 0
    private let limits: NGHTTP2SessionLimits
    let role: Role

    init(role: Role, limits: NGHTTP2SessionLimits) throws {
        self.role = role
        self.limits = limits

        var callbacks: OpaquePointer?
        try check(nghttp2_session_callbacks_new(&callbacks))
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)

        var option: OpaquePointer?
        try check(nghttp2_option_new(&option))
        defer { nghttp2_option_del(option) }
        // Hostile-peer guards: bounded queues of SETTINGS/PING acks, CONTINUATION runs, resets.
        nghttp2_option_set_max_outbound_ack(option, 1000)
        nghttp2_option_set_max_settings(option, 32)
        nghttp2_option_set_max_continuations(option, 8)
        nghttp2_option_set_stream_reset_rate_limit(option, 1000, 33)
        nghttp2_option_set_max_send_header_block_length(option, 64 * 1024)
        if role == .client {
            // A client should not start streams beyond what the server allows before SETTINGS.
            nghttp2_option_set_peer_max_concurrent_streams(option, 100)
        }

        let context = Unmanaged.passUnretained(self).toOpaque()
        switch role {
        case .server: try check(nghttp2_session_server_new2(&session, callbacks, context, option))
        case .client: try check(nghttp2_session_client_new2(&session, callbacks, context, option))
        }

        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: limits.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: UInt32(clamping: limits.maxHeaderListSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: limits.initialWindowSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: limits.maxFrameSize),
        ]
        if role == .client {
            settings.append(nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0))
        }
        try check(nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), settings, settings.count))
        // Open the connection-level receive window wide; per-stream windows still apply.
        if limits.initialWindowSize > 65_535 {
            try check(nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(clamping: 16 * Int(limits.initialWindowSize))))
        }
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: Input and output

    /// Feeds received bytes to the engine. Throws when the connection must be torn down.
    func receive(_ buffer: ByteBuffer) throws {
        input = buffer
        defer {
            input = nil
            inputBase = nil
        }
        let result = buffer.withUnsafeReadableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            inputBase = base
            inputCount = raw.count
            return nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), raw.count)
        }
        if result < 0 { throw NGHTTP2Failure(code: Int32(result)) }
    }

    /// Appends everything the engine wants to send (up to `limit` bytes) to `buffer`.
    /// Returns false when the engine failed fatally.
    @discardableResult
    func produceOutput(into buffer: inout ByteBuffer, limit: Int = 1 << 20) -> Bool {
        var written = 0
        while written < limit {
            var pointer: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &pointer)
            if count < 0 { return false }
            if count == 0 { break }
            buffer.writeBytes(UnsafeRawBufferPointer(start: pointer, count: count))
            written += count
        }
        return true
    }

    /// Hands every collected event to `body` in order, then forgets them (keeping the storage).
    /// `body` must not feed input or pull output (those are what append events).
    func drainEvents(_ body: (HTTP2SessionEvent) -> Void) {
        var index = 0
        while index < events.count {
            body(events[index])
            index += 1
        }
        events.removeAll(keepingCapacity: true)
    }

    var hasEvents: Bool { !events.isEmpty }

    /// True while the engine still expects to read or write; both false means the connection is done.
    var wantsRead: Bool { nghttp2_session_want_read(session) != 0 }
    var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }

    // MARK: Submitting frames

    /// Starts a response on `streamID`. With `endStream` the body is final; otherwise more comes
    /// with `appendBody`.
    func submitResponse(streamID: Int32, fields: [HTTP2Field], body: ByteBuffer?, endStream: Bool) throws {
        let hasBody = (body.map { $0.readableBytes > 0 } ?? false) || !endStream
        if hasBody {
            outbound[streamID] = OutboundBody(pending: body ?? ByteBuffer(), ended: endStream)
        }
        do {
            try withNameValues(fields) { nva, count in
                if hasBody {
                    var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readBodyTrampoline)
                    try check(nghttp2_submit_response(session, streamID, nva, count, &provider))
                } else {
                    try check(nghttp2_submit_response(session, streamID, nva, count, nil))
                }
            }
        } catch {
            outbound[streamID] = nil
            throw error
        }
    }

    /// Starts a request and returns its stream id.
    func submitRequest(fields: [HTTP2Field], body: ByteBuffer?) throws -> Int32 {
        let hasBody = body.map { $0.readableBytes > 0 } ?? false
        let streamID: Int32 = try withNameValues(fields) { nva, count in
            if hasBody {
                var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readBodyTrampoline)
                return nghttp2_submit_request(session, nil, nva, count, &provider, nil)
            }
            return nghttp2_submit_request(session, nil, nva, count, nil, nil)
        }
        if streamID < 0 { throw NGHTTP2Failure(code: streamID) }
        if hasBody, let body { outbound[streamID] = OutboundBody(pending: body, ended: true) }
        return streamID
    }

    /// Queues more body bytes for a streaming response; `end` closes the stream after them.
    func appendBody(streamID: Int32, bytes: ByteBuffer, end: Bool) {
        guard var body = outbound[streamID] else { return }
        var bytes = bytes
        body.pending.writeBuffer(&bytes)
        body.ended = body.ended || end
        outbound[streamID] = body
        nghttp2_session_resume_data(session, streamID)
    }

    /// Bytes accepted for `streamID` that the engine has not pulled yet.
    func pendingBodyBytes(streamID: Int32) -> Int {
        outbound[streamID]?.pending.readableBytes ?? 0
    }

    func resetStream(streamID: Int32, code: HTTP2ErrorCode) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, code.rawValue)
    }

    /// First step of a graceful shutdown: GOAWAY with the maximum stream id (RFC 9113 §6.8).
    func submitShutdownNotice() {
        nghttp2_submit_shutdown_notice(session)
    }

    /// Final GOAWAY naming the last stream this side will process.
    func submitGoAway(code: HTTP2ErrorCode) {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, code.rawValue, nil, 0)
    }

    /// Ends the session with GOAWAY(code); the engine stops reading and writes what is queued.
    func terminate(code: HTTP2ErrorCode) {
        nghttp2_session_terminate_session(session, code.rawValue)
    }

    var isSessionAlive: Bool { session != nil }

    // MARK: Callback bodies (called from the C trampolines below)

    fileprivate func beginHeaders(streamID: Int32) {
        blockStreamID = streamID
        blockFields = []
        blockFields.reserveCapacity(12)
        blockSize = 0
    }

    fileprivate func header(streamID: Int32, name: String, value: String, wireSize: Int) -> Bool {
        blockSize += wireSize + 32
        if blockSize > limits.maxHeaderListSize {
            blockFields = []
            events.append(.headerListTooLarge(streamID: streamID))
            return false
        }
        blockFields.append(HTTP2Field(name, value))
        return true
    }

    fileprivate func frameReceived(type: UInt8, flags: UInt8, streamID: Int32, goAway: (Int32, UInt32)?) {
        let endStream = flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch Int(type) {
        case Int(NGHTTP2_HEADERS.rawValue):
            let fields = blockStreamID == streamID ? blockFields : []
            blockFields = []
            events.append(.headers(streamID: streamID, fields: fields, endStream: endStream))
        case Int(NGHTTP2_DATA.rawValue):
            if endStream { events.append(.endStream(streamID: streamID)) }
        case Int(NGHTTP2_GOAWAY.rawValue):
            if let goAway { events.append(.goAway(lastStreamID: goAway.0, errorCode: goAway.1)) }
        default:
            break
        }
    }

    fileprivate func dataChunk(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        // nghttp2 hands DATA payloads as pointers into the input: slice instead of copying.
        if let input, let inputBase, let start = bytes.baseAddress, start >= inputBase, start + bytes.count <= inputBase + inputCount,
           let slice = input.getSlice(at: input.readerIndex + (start - inputBase), length: bytes.count) {
            events.append(.data(streamID: streamID, bytes: slice))
            return
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes.count)
        buffer.writeBytes(bytes)
        events.append(.data(streamID: streamID, bytes: buffer))
    }

    fileprivate func streamClosed(streamID: Int32, errorCode: UInt32) {
        outbound[streamID] = nil
        events.append(.streamClosed(streamID: streamID, errorCode: errorCode))
    }

    /// Copies up to `capacity` pending body bytes; nil means "nothing yet, defer".
    fileprivate func readBody(streamID: Int32, into destination: UnsafeMutableRawBufferPointer) -> (count: Int, eof: Bool)? {
        guard var body = outbound[streamID] else { return (0, true) }
        let count = min(destination.count, body.pending.readableBytes)
        if count == 0 && !body.ended { return nil }
        if count > 0 {
            body.pending.withUnsafeReadableBytes { source in
                destination.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count)
            }
            body.pending.moveReaderIndex(forwardBy: count)
            events.append(.bodyDrained(streamID: streamID, remaining: body.pending.readableBytes))
        }
        let eof = body.ended && body.pending.readableBytes == 0
        if eof {
            outbound[streamID] = nil
        } else {
            body.pending.discardReadBytes()
            outbound[streamID] = body
        }
        return (count, eof)
    }

    // MARK: Helpers

    private func check(_ code: Int32) throws {
        if code != 0 { throw NGHTTP2Failure(code: code) }
    }

    /// Builds an `nghttp2_nv` array that points into Swift-owned storage for the call's duration
    /// (nghttp2 copies names and values during submit).
    private func withNameValues<T>(_ fields: [HTTP2Field], _ body: (UnsafePointer<nghttp2_nv>, Int) throws -> T) throws -> T {
        var total = 0
        for field in fields { total += field.name.utf8.count + field.value.utf8.count }
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(total, 1)) { storage in
            try withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(fields.count, 1)) { nva in
                var offset = 0
                for (index, field) in fields.enumerated() {
                    let nameStart = offset
                    for byte in field.name.utf8 { storage[offset] = byte; offset += 1 }
                    let valueStart = offset
                    for byte in field.value.utf8 { storage[offset] = byte; offset += 1 }
                    nva[index] = nghttp2_nv(
                        name: storage.baseAddress! + nameStart, value: storage.baseAddress! + valueStart,
                        namelen: valueStart - nameStart, valuelen: offset - valueStart,
                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                    )
                }
                return try body(UnsafePointer(nva.baseAddress!), fields.count)
            }
        }
    }
}

// MARK: - C trampolines (user_data is the unretained NGHTTP2Session)

private func owner(_ userData: UnsafeMutableRawPointer?) -> NGHTTP2Session {
    Unmanaged<NGHTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
}

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
    owner(userData).beginHeaders(streamID: frame!.pointee.hd.stream_id)
    return 0
}

private let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    let nameString = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
    let valueString = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
    let accepted = owner(userData).header(
        streamID: frame!.pointee.hd.stream_id, name: nameString, value: valueString,
        wireSize: nameLength + valueLength
    )
    return accepted ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
}

private let onFrameRecv: nghttp2_on_frame_recv_callback = { _, frame, userData in
    let header = frame!.pointee.hd
    var goAway: (Int32, UInt32)?
    if Int(header.type) == Int(NGHTTP2_GOAWAY.rawValue) {
        goAway = (frame!.pointee.goaway.last_stream_id, frame!.pointee.goaway.error_code)
    }
    owner(userData).frameReceived(type: header.type, flags: header.flags, streamID: header.stream_id, goAway: goAway)
    return 0
}

private let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
    owner(userData).dataChunk(streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
    owner(userData).streamClosed(streamID: streamID, errorCode: errorCode)
    return 0
}

private let readBodyTrampoline: nghttp2_data_source_read_callback = { _, streamID, buffer, length, dataFlags, _, userData in
    let destination = UnsafeMutableRawBufferPointer(start: buffer, count: length)
    guard let (count, eof) = owner(userData).readBody(streamID: streamID, into: destination) else {
        return Int(NGHTTP2_ERR_DEFERRED.rawValue)
    }
    if eof { dataFlags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue) }
    return count
}
