import NIOCore

/// A quick reader and writer for the replicated-command route, the node's hottest path (one
/// request per proposal): Foundation's JSONDecoder and JSONEncoder were a quarter of the leader's
/// event-loop time there.
///
/// The reader takes only the common shape of a body: one flat object whose values are strings
/// without escapes, integers, or null, with known keys, each at most once, of the right types.
/// Anything else (escapes, nesting, fractions, unknown or repeated keys, a missing field) gives
/// nil and the caller decodes with `APIJSON.decode`, which also writes the error message. So a
/// body never means something different on the fast path.
enum ShardCommandFastJSON {
    /// A JSON scalar as read: strings hold their exact UTF-8, integers their sign and magnitude.
    enum Scalar: Equatable {
        case string(String)
        case integer(negative: Bool, magnitude: UInt64)
        case null
    }

    /// The request in `body`, or nil to take the full decoder.
    static func decode(_ body: ByteBuffer) -> ShardCommandRequest? {
        body.withUnsafeReadableBytes { bytes in
            guard let members = parseFlatObject(bytes) else { return nil }
            return request(from: members)
        }
    }

    static func request(from members: [(key: String, value: Scalar)]) -> ShardCommandRequest? {
        var op: String?
        var ticketID: String?
        var request = ShardCommandRequest(op: "", ticketID: "")
        var seen = Set<String>()
        for (key, value) in members {
            guard seen.insert(key).inserted else { return nil }
            switch key {
            case "op": guard case .string(let text) = value else { return nil }; op = text
            case "ticket_id": guard case .string(let text) = value else { return nil }; ticketID = text
            case "idempotency_key": guard let text = optionalString(value) else { return nil }; request.idempotencyKey = text
            case "payload": guard let text = optionalString(value) else { return nil }; request.payload = text
            case "agent": guard let text = optionalString(value) else { return nil }; request.agent = text
            case "kind": guard let text = optionalString(value) else { return nil }; request.kind = text
            case "at": guard let number = optionalInt64(value) else { return nil }; request.at = number
            case "lease_until": guard let number = optionalInt64(value) else { return nil }; request.leaseUntil = number
            case "now": guard let number = optionalInt64(value) else { return nil }; request.now = number
            case "epoch": guard let number = optionalUInt64(value) else { return nil }; request.epoch = number
            default: return nil
            }
        }
        guard let op, let ticketID else { return nil }
        request.op = op
        request.ticketID = ticketID
        return request
    }

    // `.some(nil)` for null, nil for a value of another type.
    private static func optionalString(_ value: Scalar) -> String?? {
        switch value {
        case .string(let text): .some(text)
        case .null: .some(nil)
        case .integer: nil
        }
    }

    private static func optionalInt64(_ value: Scalar) -> Int64?? {
        switch value {
        case .null: .some(nil)
        case .integer(false, let magnitude) where magnitude <= UInt64(Int64.max): .some(Int64(magnitude))
        case .integer(true, let magnitude) where magnitude <= UInt64(Int64.max) + 1: .some(Int64(truncatingIfNeeded: 0 &- magnitude))
        default: nil
        }
    }

    private static func optionalUInt64(_ value: Scalar) -> UInt64?? {
        switch value {
        case .null: .some(nil)
        case .integer(false, let magnitude): .some(magnitude)
        default: nil
        }
    }

    /// `{ "key": scalar, ... }` with JSON whitespace anywhere between tokens and nothing after.
    static func parseFlatObject(_ bytes: UnsafeRawBufferPointer) -> [(key: String, value: Scalar)]? {
        var reader = Reader(bytes: bytes)
        var members: [(key: String, value: Scalar)] = []
        reader.skipSpace()
        guard reader.take(UInt8(ascii: "{")) else { return nil }
        reader.skipSpace()
        if !reader.take(UInt8(ascii: "}")) {
            while true {
                guard let key = reader.plainString() else { return nil }
                reader.skipSpace()
                guard reader.take(UInt8(ascii: ":")) else { return nil }
                reader.skipSpace()
                guard let value = reader.scalar() else { return nil }
                members.append((key, value))
                reader.skipSpace()
                if reader.take(UInt8(ascii: ",")) {
                    reader.skipSpace()
                    continue
                }
                guard reader.take(UInt8(ascii: "}")) else { return nil }
                break
            }
        }
        reader.skipSpace()
        return reader.atEnd ? members : nil
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func skipSpace() {
            while offset < bytes.count {
                switch bytes[offset] {
                case 0x20, 0x09, 0x0A, 0x0D: offset += 1
                default: return
                }
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard offset < bytes.count, bytes[offset] == byte else { return false }
            offset += 1
            return true
        }

        /// A string with no escapes and no control characters, as valid UTF-8.
        mutating func plainString() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = offset
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\"") {
                    let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
                    offset += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                offset += 1
            }
            return nil
        }

        mutating func scalar() -> Scalar? {
            guard offset < bytes.count else { return nil }
            switch bytes[offset] {
            case UInt8(ascii: "\""):
                return plainString().map(Scalar.string)
            case UInt8(ascii: "n"):
                guard bytes.count - offset >= 4, bytes[offset + 1] == UInt8(ascii: "u"), bytes[offset + 2] == UInt8(ascii: "l"),
                      bytes[offset + 3] == UInt8(ascii: "l") else { return nil }
                offset += 4
                return .null
            default:
                return integer()
            }
        }

        /// `-?(0|[1-9][0-9]*)` fitting in 64 bits of magnitude; a fraction or exponent gives nil.
        mutating func integer() -> Scalar? {
            let negative = take(UInt8(ascii: "-"))
            let start = offset
            var magnitude: UInt64 = 0
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) {
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[offset] - UInt8(ascii: "0")))
                if overflow1 || overflow2 { return nil }
                magnitude = sum
                offset += 1
            }
            let digits = offset - start
            guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
            if offset < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[offset]) { return nil }
            return .integer(negative: negative, magnitude: magnitude)
        }
    }

    // MARK: Writing

    /// `ShardCommandResponse` as JSON with sorted keys, as `APIJSON.response` would write it.
    static func encode(_ response: ShardCommandResponse) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(96 + (response.result.ticketID?.utf8.count ?? 0))
        out.writeString("{\"group\":\(response.group),\"index\":\(response.index),\"result\":{")
        let result = response.result
        var first = true
        func field(_ name: String, _ write: (inout ByteBuffer) -> Void) {
            if !first { out.writeInteger(UInt8(ascii: ",")) }
            first = false
            out.writeInteger(UInt8(ascii: "\""))
            out.writeString(name)
            out.writeString("\":")
            write(&out)
        }
        if let code = result.code { field("code") { writeString(code, to: &$0) } }
        if let epoch = result.epoch { field("epoch") { $0.writeString(String(epoch)) } }
        if let leaseUntil = result.leaseUntil { field("lease_until") { $0.writeString(String(leaseUntil)) } }
        field("outcome") { writeString(result.outcome, to: &$0) }
        if let status = result.status { field("status") { writeString(status, to: &$0) } }
        if let ticketID = result.ticketID { field("ticket_id") { writeString(ticketID, to: &$0) } }
        out.writeString("}}")
        return out
    }

    /// A JSON string: quote, backslash and control characters escaped, everything else as UTF-8.
    static func writeString(_ string: String, to out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.writeString("\\\"")
            case UInt8(ascii: "\\"): out.writeString("\\\\")
            case 0x0A: out.writeString("\\n")
            case 0x0D: out.writeString("\\r")
            case 0x09: out.writeString("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.writeString("\\u00")
                out.writeInteger(hex[Int(byte >> 4)])
                out.writeInteger(hex[Int(byte & 0x0F)])
            default: out.writeInteger(byte)
            }
        }
        out.writeInteger(UInt8(ascii: "\""))
    }
}
