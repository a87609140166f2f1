import RingdeskPrimitives

/// The compact binary encoding of `SWIMMessage`, hand-written so every length is checked: decoding
/// any byte string either yields a message or throws `SWIMError` (code `swim_malformed_message`).
///
/// Layout (integers big-endian; `varint` is unsigned LEB128, at most 10 bytes, no overflow):
/// ```
/// message  = version:u8(=1) kind:u8 sender:u64 body updateCount:varint update*
/// body     = ping|pingRequest|ack|nack: sequence:u32 target:u64
///          | gossip: (nothing)
///          | pushPull: flags:u8(bit0 response, bit1 join) count:varint record*
/// update   = tag:u8 id:u64 incarnation:varint
///            (alive: metadata payload | suspect, dead: from:u64 | left: nothing)
/// record   = status:u8 id:u64 incarnation:varint metadata payload
/// metadata = name:str region:str zone:str addressCount:u8 address:str* load:varint(u32) version:str
/// str      = length:varint UTF-8 bytes      payload = length:varint bytes
/// ```
public enum SWIMCodec {
    static let version: UInt8 = 1

    /// Bounds applied while decoding, so hostile input cannot make the decoder allocate without limit.
    public struct Limits: Hashable, Sendable {
        public var maxMessageBytes: Int
        public var maxPayloadBytes: Int
        public var maxStringBytes: Int
        public var maxAddresses: Int
        public var maxUpdates: Int
        public var maxRecords: Int

        public init(maxMessageBytes: Int, maxPayloadBytes: Int, maxStringBytes: Int = 255, maxAddresses: Int = 8,
                    maxUpdates: Int = 4096, maxRecords: Int = 100_000) {
            self.maxMessageBytes = maxMessageBytes
            self.maxPayloadBytes = maxPayloadBytes
            self.maxStringBytes = maxStringBytes
            self.maxAddresses = maxAddresses
            self.maxUpdates = maxUpdates
            self.maxRecords = maxRecords
        }

        /// The largest values the format allows at all.
        public static let protocolMaximum = Limits(maxMessageBytes: 16 << 20, maxPayloadBytes: 64 << 10)

        /// Limits matching a configuration (a full-state sync may be as large as `maxPushPullBytes`).
        public init(_ configuration: SWIMConfiguration) {
            self.init(maxMessageBytes: configuration.maxPushPullBytes, maxPayloadBytes: configuration.maxPayloadBytes)
        }
    }

    enum Kind: UInt8 {
        case ping = 1, pingRequest, ack, nack, gossip, pushPull
    }

    // MARK: Encoding

    public static func encode(_ message: SWIMMessage) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        encode(message, into: &bytes)
        return bytes
    }

    /// Appends the encoding to `bytes` (lets a caller reuse one buffer).
    public static func encode(_ message: SWIMMessage, into bytes: inout [UInt8]) {
        bytes.append(version)
        switch message.kind {
        case .ping(let sequence, let target):
            bytes.append(Kind.ping.rawValue)
            writeU64(message.sender.rawValue, into: &bytes)
            writeU32(sequence, into: &bytes)
            writeU64(target.rawValue, into: &bytes)
        case .pingRequest(let sequence, let target):
            bytes.append(Kind.pingRequest.rawValue)
            writeU64(message.sender.rawValue, into: &bytes)
            writeU32(sequence, into: &bytes)
            writeU64(target.rawValue, into: &bytes)
        case .ack(let sequence, let target):
            bytes.append(Kind.ack.rawValue)
            writeU64(message.sender.rawValue, into: &bytes)
            writeU32(sequence, into: &bytes)
            writeU64(target.rawValue, into: &bytes)
        case .nack(let sequence, let target):
            bytes.append(Kind.nack.rawValue)
            writeU64(message.sender.rawValue, into: &bytes)
            writeU32(sequence, into: &bytes)
            writeU64(target.rawValue, into: &bytes)
        case .gossip:
            bytes.append(Kind.gossip.rawValue)
            writeU64(message.sender.rawValue, into: &bytes)
        case .pushPull(let pushPull):
            bytes.append(Kind.pushPull.rawValue)
            writeU64(message.sender.rawValue, into: &bytes)
            bytes.append((pushPull.isResponse ? 1 : 0) | (pushPull.isJoin ? 2 : 0))
            writeVarint(UInt64(pushPull.members.count), into: &bytes)
            for record in pushPull.members {
                encode(record, into: &bytes)
            }
        }
        writeVarint(UInt64(message.updates.count), into: &bytes)
        for update in message.updates {
            encode(update, into: &bytes)
        }
    }

    static func encode(_ record: SWIMMemberRecord, into bytes: inout [UInt8]) {
        bytes.append(record.status.rawValue)
        writeU64(record.id.rawValue, into: &bytes)
        writeVarint(record.incarnation, into: &bytes)
        encode(record.metadata, into: &bytes)
        writeBytes(record.payload, into: &bytes)
    }

    static func encode(_ update: SWIMUpdate, into bytes: inout [UInt8]) {
        bytes.append(update.status.rawValue)
        switch update {
        case .alive(let id, let incarnation, let metadata, let payload):
            writeU64(id.rawValue, into: &bytes)
            writeVarint(incarnation, into: &bytes)
            encode(metadata, into: &bytes)
            writeBytes(payload, into: &bytes)
        case .suspect(let id, let incarnation, let from), .dead(let id, let incarnation, let from):
            writeU64(id.rawValue, into: &bytes)
            writeVarint(incarnation, into: &bytes)
            writeU64(from.rawValue, into: &bytes)
        case .left(let id, let incarnation):
            writeU64(id.rawValue, into: &bytes)
            writeVarint(incarnation, into: &bytes)
        }
    }

    static func encode(_ metadata: SWIMNodeMetadata, into bytes: inout [UInt8]) {
        writeString(metadata.name, into: &bytes)
        writeString(metadata.region, into: &bytes)
        writeString(metadata.zone, into: &bytes)
        bytes.append(UInt8(truncatingIfNeeded: metadata.addresses.count))
        for address in metadata.addresses {
            writeString(address, into: &bytes)
        }
        writeVarint(UInt64(metadata.load), into: &bytes)
        writeString(metadata.version, into: &bytes)
    }

    // MARK: Sizes (kept beside the encoder; a test checks they agree)

    /// Encoded size of a message with no updates and no records.
    static func headerSize(of kind: SWIMMessage.Kind) -> Int {
        switch kind {
        case .ping, .pingRequest, .ack, .nack: 1 + 1 + 8 + 4 + 8
        case .gossip: 1 + 1 + 8
        case .pushPull: 1 + 1 + 8 + 1
        }
    }

    public static func encodedSize(of update: SWIMUpdate) -> Int {
        switch update {
        case .alive(_, let incarnation, let metadata, let payload):
            1 + 8 + varintSize(incarnation) + encodedSize(of: metadata) + varintSize(UInt64(payload.count)) + payload.count
        case .suspect(_, let incarnation, _), .dead(_, let incarnation, _):
            1 + 8 + varintSize(incarnation) + 8
        case .left(_, let incarnation):
            1 + 8 + varintSize(incarnation)
        }
    }

    public static func encodedSize(of record: SWIMMemberRecord) -> Int {
        1 + 8 + varintSize(record.incarnation) + encodedSize(of: record.metadata)
            + varintSize(UInt64(record.payload.count)) + record.payload.count
    }

    static func encodedSize(of metadata: SWIMNodeMetadata) -> Int {
        var size = stringSize(metadata.name) + stringSize(metadata.region) + stringSize(metadata.zone) + 1
        for address in metadata.addresses {
            size += stringSize(address)
        }
        return size + varintSize(UInt64(metadata.load)) + stringSize(metadata.version)
    }

    static func stringSize(_ string: String) -> Int {
        let count = string.utf8.count
        return varintSize(UInt64(count)) + count
    }

    static func varintSize(_ value: UInt64) -> Int { ByteWriter.varintSize(value) }

    // MARK: Decoding

    public static func decode(_ bytes: [UInt8], limits: Limits) throws(SWIMError) -> SWIMMessage {
        guard bytes.count <= limits.maxMessageBytes else {
            throw .malformed("message of \(bytes.count) bytes exceeds \(limits.maxMessageBytes)")
        }
        var reader = Reader(bytes: bytes, limits: limits)
        let message = try reader.readMessage()
        guard reader.isAtEnd else { throw .malformed("\(bytes.count - reader.offset) trailing bytes") }
        return message
    }

    // MARK: Primitives

    static func writeU32(_ value: UInt32, into bytes: inout [UInt8]) { ByteWriter.u32(value, into: &bytes) }

    static func writeU64(_ value: UInt64, into bytes: inout [UInt8]) { ByteWriter.u64(value, into: &bytes) }

    static func writeVarint(_ value: UInt64, into bytes: inout [UInt8]) { ByteWriter.varint(value, into: &bytes) }

    static func writeString(_ string: String, into bytes: inout [UInt8]) {
        writeVarint(UInt64(string.utf8.count), into: &bytes)
        bytes.append(contentsOf: string.utf8)
    }

    static func writeBytes(_ payload: [UInt8], into bytes: inout [UInt8]) {
        writeVarint(UInt64(payload.count), into: &bytes)
        bytes.append(contentsOf: payload)
    }
}

extension SWIMCodec {
    /// A bounds-checked cursor: every read checks the remaining length first.
    struct Reader {
        private var base: ByteReader
        let limits: Limits

        init(bytes: [UInt8], limits: Limits) {
            base = ByteReader(bytes)
            self.limits = limits
        }

        var offset: Int { base.offset }
        var isAtEnd: Bool { base.isAtEnd }
        var remaining: Int { base.remaining }

        mutating func readU8() throws(SWIMError) -> UInt8 {
            do { return try base.byte() } catch { throw .malformed(error.message) }
        }

        mutating func readU32() throws(SWIMError) -> UInt32 {
            do { return try base.u32() } catch { throw .malformed(error.message) }
        }

        mutating func readU64() throws(SWIMError) -> UInt64 {
            do { return try base.u64() } catch { throw .malformed(error.message) }
        }

        mutating func readVarint() throws(SWIMError) -> UInt64 {
            do { return try base.varint() } catch { throw .malformed(error.message) }
        }

        mutating func readBytes(_ count: Int) throws(SWIMError) -> [UInt8] {
            do { return try base.bytes(count) } catch { throw .malformed(error.message) }
        }

        mutating func readLength(max: Int, what: String) throws(SWIMError) -> Int {
            let length = try readVarint()
            guard length <= UInt64(max) else { throw .malformed("\(what) length \(length) exceeds \(max)") }
            guard length <= UInt64(remaining) else { throw .malformed("\(what) length \(length) runs past the end") }
            return Int(length)
        }

        mutating func readCount(max: Int, minimumElementSize: Int, what: String) throws(SWIMError) -> Int {
            let count = try readVarint()
            guard count <= UInt64(max) else { throw .malformed("\(count) \(what) exceed \(max)") }
            guard count * UInt64(minimumElementSize) <= UInt64(remaining) else {
                throw .malformed("\(count) \(what) cannot fit in \(remaining) bytes")
            }
            return Int(count)
        }

        mutating func readString() throws(SWIMError) -> String {
            let length = try readLength(max: limits.maxStringBytes, what: "string")
            let slice = try readBytes(length)
            guard let string = String(validating: slice, as: UTF8.self) else { throw .malformed("string is not UTF-8") }
            return string
        }

        mutating func readPayload() throws(SWIMError) -> [UInt8] {
            let length = try readLength(max: limits.maxPayloadBytes, what: "payload")
            return try readBytes(length)
        }

        mutating func readMetadata() throws(SWIMError) -> SWIMNodeMetadata {
            let name = try readString()
            let region = try readString()
            let zone = try readString()
            let addressCount = Int(try readU8())
            guard addressCount <= limits.maxAddresses else {
                throw .malformed("\(addressCount) addresses exceed \(limits.maxAddresses)")
            }
            var addresses: [String] = []
            addresses.reserveCapacity(addressCount)
            for _ in 0..<addressCount {
                addresses.append(try readString())
            }
            let load = try readVarint()
            guard load <= UInt64(UInt32.max) else { throw .malformed("load \(load) exceeds 32 bits") }
            let version = try readString()
            return SWIMNodeMetadata(name: name, region: region, zone: zone, addresses: addresses, load: UInt32(load), version: version)
        }

        mutating func readStatus() throws(SWIMError) -> SWIMStatus {
            let raw = try readU8()
            guard let status = SWIMStatus(rawValue: raw) else { throw .malformed("unknown status \(raw)") }
            return status
        }

        mutating func readUpdate() throws(SWIMError) -> SWIMUpdate {
            let status = try readStatus()
            let id = SWIMNodeID(try readU64())
            let incarnation = try readVarint()
            switch status {
            case .alive:
                let metadata = try readMetadata()
                return .alive(id, incarnation: incarnation, metadata: metadata, payload: try readPayload())
            case .suspect:
                return .suspect(id, incarnation: incarnation, from: SWIMNodeID(try readU64()))
            case .dead:
                return .dead(id, incarnation: incarnation, from: SWIMNodeID(try readU64()))
            case .left:
                return .left(id, incarnation: incarnation)
            }
        }

        mutating func readRecord() throws(SWIMError) -> SWIMMemberRecord {
            let status = try readStatus()
            let id = SWIMNodeID(try readU64())
            let incarnation = try readVarint()
            let metadata = try readMetadata()
            return SWIMMemberRecord(id: id, status: status, incarnation: incarnation, metadata: metadata, payload: try readPayload())
        }

        mutating func readProbeFields() throws(SWIMError) -> (UInt32, SWIMNodeID) {
            let sequence = try readU32()
            return (sequence, SWIMNodeID(try readU64()))
        }

        mutating func readMessage() throws(SWIMError) -> SWIMMessage {
            let version = try readU8()
            guard version == SWIMCodec.version else { throw .malformed("unknown version \(version)") }
            let rawKind = try readU8()
            guard let kind = Kind(rawValue: rawKind) else { throw .malformed("unknown message kind \(rawKind)") }
            let sender = SWIMNodeID(try readU64())
            let body: SWIMMessage.Kind
            switch kind {
            case .ping:
                let (sequence, target) = try readProbeFields()
                body = .ping(sequence: sequence, target: target)
            case .pingRequest:
                let (sequence, target) = try readProbeFields()
                body = .pingRequest(sequence: sequence, target: target)
            case .ack:
                let (sequence, target) = try readProbeFields()
                body = .ack(sequence: sequence, target: target)
            case .nack:
                let (sequence, target) = try readProbeFields()
                body = .nack(sequence: sequence, target: target)
            case .gossip:
                body = .gossip
            case .pushPull:
                let flags = try readU8()
                guard flags & ~3 == 0 else { throw .malformed("unknown push-pull flags \(flags)") }
                // A record is at least status, id, incarnation, three strings, address count, load, version, payload.
                let count = try readCount(max: limits.maxRecords, minimumElementSize: 16, what: "records")
                var members: [SWIMMemberRecord] = []
                members.reserveCapacity(count)
                for _ in 0..<count {
                    members.append(try readRecord())
                }
                body = .pushPull(SWIMPushPull(isResponse: flags & 1 != 0, isJoin: flags & 2 != 0, members: members))
            }
            let updateCount = try readCount(max: limits.maxUpdates, minimumElementSize: 10, what: "updates")
            var updates: [SWIMUpdate] = []
            updates.reserveCapacity(updateCount)
            for _ in 0..<updateCount {
                updates.append(try readUpdate())
            }
            return SWIMMessage(sender: sender, kind: body, updates: updates)
        }
    }
}
