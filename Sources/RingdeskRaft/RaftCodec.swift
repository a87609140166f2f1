import RingdeskPrimitives

/// One Raft message addressed to one group. Many envelopes between the same two nodes travel in
/// one `RaftCodec` batch, so 64 groups' heartbeats cost one request, not 64.
public struct RaftEnvelope: Sendable, Hashable {
    public var group: UInt32
    public var message: RaftMessage

    public init(group: UInt32, message: RaftMessage) {
        self.group = group
        self.message = message
    }
}

/// Why a batch did not decode. `code` is stable and opaque; `message` is for people.
public struct RaftCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let raw: String
        public var description: String { raw }

        /// The bytes do not follow the format (truncated, unknown kind, non-canonical, trailing bytes).
        public static let malformed = Code(raw: "raft_codec_malformed")
        /// A checksum (of the batch, an entry or a snapshot) does not match: corrupted in transit.
        public static let checksumMismatch = Code(raw: "raft_codec_checksum")
        /// A count or size is beyond the decoder's `Limits`.
        public static let limitExceeded = Code(raw: "raft_codec_limit")
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func malformed(_ message: String) -> RaftCodecError { RaftCodecError(code: .malformed, message: message) }
    static func checksum(_ message: String) -> RaftCodecError { RaftCodecError(code: .checksumMismatch, message: message) }
    static func limit(_ message: String) -> RaftCodecError { RaftCodecError(code: .limitExceeded, message: message) }
}

/// The wire format of a batch of Raft messages between one node pair, hand-written so that every
/// length is checked: decoding any byte string yields a batch or throws `RaftCodecError`; it never
/// traps, and it allocates at most a constant times the input size (every count is checked against
/// the bytes left before anything is reserved).
///
/// Layout (`v` = unsigned LEB128 varint, minimal, at most 10 bytes; `u32` big-endian):
/// ```
/// batch    = version:u8(=1) from:v to:v count:v envelope* crc:u32
/// envelope = group:v kind:u8 fields:v term:v
///            [from:v] [to:v] [logTerm:v] [index:v] [commit:v] [context:v] [rejectHint:v]
///            [entryCount:v(≥1) entry*] [snapshot]
/// entry    = term:v index:v kind:u8 length:v data crc:u32
/// snapshot = index:v term:v voterCount:v voter:v* learnerCount:v learner:v* length:v data crc:u32
/// ```
/// - `fields` says which optional fields follow (bit order below); a flagged field is never zero,
///   so the encoding is canonical: `encode(decode(bytes)) == bytes` for every accepted input.
/// - The batch header names one node pair; an envelope carries `from`/`to` only when they differ.
///   A heartbeat is then group, kind, fields, term, commit and context: 6–10 bytes.
/// - The batch `crc` covers every byte before it, so corrupted headers (term, commit, group) are
///   caught too. Each entry's `crc` is `entryChecksum(_:group:)`: it is what the log store keeps on
///   disk, so an entry's integrity can be checked end to end. The snapshot's covers its own bytes
///   and the group.
/// - Voters and learners are strictly ascending (the encoder normalises them).
public enum RaftCodec {
    static let version: UInt8 = 1

    /// Bounds applied while decoding, so a hostile or corrupted batch cannot make a node allocate or
    /// work without limit.
    public struct Limits: Sendable, Hashable {
        public var maxBatchBytes: Int
        public var maxEnvelopes: Int
        public var maxEntriesPerMessage: Int
        public var maxEntryBytes: Int
        public var maxSnapshotBytes: Int
        public var maxConfMembers: Int

        public init(maxBatchBytes: Int = 256 << 20, maxEnvelopes: Int = 1 << 20, maxEntriesPerMessage: Int = 1 << 16,
                    maxEntryBytes: Int = 16 << 20, maxSnapshotBytes: Int = 128 << 20, maxConfMembers: Int = 1024) {
            self.maxBatchBytes = maxBatchBytes
            self.maxEnvelopes = maxEnvelopes
            self.maxEntriesPerMessage = maxEntriesPerMessage
            self.maxEntryBytes = maxEntryBytes
            self.maxSnapshotBytes = maxSnapshotBytes
            self.maxConfMembers = maxConfMembers
        }

        public static let `default` = Limits()
    }

    /// Which optional fields an envelope carries. Frequent fields take the low bits so the set
    /// fits the varint's first byte in appends and heartbeats.
    struct Fields: OptionSet {
        let rawValue: UInt64
        static let logTerm = Fields(rawValue: 1 << 0)
        static let index = Fields(rawValue: 1 << 1)
        static let commit = Fields(rawValue: 1 << 2)
        static let context = Fields(rawValue: 1 << 3)
        static let entries = Fields(rawValue: 1 << 4)
        static let from = Fields(rawValue: 1 << 5)
        static let to = Fields(rawValue: 1 << 6)
        static let rejectHint = Fields(rawValue: 1 << 7)
        static let reject = Fields(rawValue: 1 << 8)
        static let snapshot = Fields(rawValue: 1 << 9)
        static let all = Fields(rawValue: (1 << 10) - 1)
    }

    // MARK: Encoding

    public static func encode(_ batch: [RaftEnvelope]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(estimatedSize(of: batch))
        encode(batch, into: &bytes)
        return bytes
    }

    /// Appends the encoding to `bytes` (lets a caller reuse one buffer).
    public static func encode(_ batch: [RaftEnvelope], into bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(version)
        let from = batch.first?.message.from ?? 0
        let to = batch.first?.message.to ?? 0
        writeVarint(from, into: &bytes)
        writeVarint(to, into: &bytes)
        writeVarint(UInt64(batch.count), into: &bytes)
        for envelope in batch {
            encode(envelope, from: from, to: to, into: &bytes)
        }
        writeU32(CRC32C.checksum(bytes[start...]), into: &bytes)
    }

    static func encode(_ envelope: RaftEnvelope, from: RaftNodeID, to: RaftNodeID, into bytes: inout [UInt8]) {
        let message = envelope.message
        var fields: Fields = []
        if message.logTerm != 0 { fields.insert(.logTerm) }
        if message.index != 0 { fields.insert(.index) }
        if message.commit != 0 { fields.insert(.commit) }
        if message.context != 0 { fields.insert(.context) }
        if !message.entries.isEmpty { fields.insert(.entries) }
        if message.from != from { fields.insert(.from) }
        if message.to != to { fields.insert(.to) }
        if message.rejectHint != 0 { fields.insert(.rejectHint) }
        if message.reject { fields.insert(.reject) }
        if message.snapshot != nil { fields.insert(.snapshot) }

        writeVarint(UInt64(envelope.group), into: &bytes)
        bytes.append(message.kind.rawValue)
        writeVarint(fields.rawValue, into: &bytes)
        writeVarint(message.term, into: &bytes)
        if fields.contains(.from) { writeVarint(message.from, into: &bytes) }
        if fields.contains(.to) { writeVarint(message.to, into: &bytes) }
        if fields.contains(.logTerm) { writeVarint(message.logTerm, into: &bytes) }
        if fields.contains(.index) { writeVarint(message.index, into: &bytes) }
        if fields.contains(.commit) { writeVarint(message.commit, into: &bytes) }
        if fields.contains(.context) { writeVarint(message.context, into: &bytes) }
        if fields.contains(.rejectHint) { writeVarint(message.rejectHint, into: &bytes) }
        if fields.contains(.entries) {
            writeVarint(UInt64(message.entries.count), into: &bytes)
            for entry in message.entries {
                encode(entry, group: envelope.group, into: &bytes)
            }
        }
        if let snapshot = message.snapshot {
            encode(snapshot, group: envelope.group, into: &bytes)
        }
    }

    static func encode(_ entry: RaftEntry, group: UInt32, into bytes: inout [UInt8]) {
        let start = bytes.count
        writeEntryBody(entry, into: &bytes)
        writeU32(CRC32C.checksum(bytes[start...], seed: groupSeed(group)), into: &bytes)
    }

    static func encode(_ snapshot: RaftSnapshot, group: UInt32, into bytes: inout [UInt8]) {
        let start = bytes.count
        let conf = RaftConfState(voters: snapshot.metadata.conf.voters, learners: snapshot.metadata.conf.learners)
        writeVarint(snapshot.metadata.index, into: &bytes)
        writeVarint(snapshot.metadata.term, into: &bytes)
        writeVarint(UInt64(conf.voters.count), into: &bytes)
        for voter in conf.voters { writeVarint(voter, into: &bytes) }
        writeVarint(UInt64(conf.learners.count), into: &bytes)
        for learner in conf.learners { writeVarint(learner, into: &bytes) }
        writeVarint(UInt64(snapshot.data.count), into: &bytes)
        bytes.append(contentsOf: snapshot.data)
        writeU32(CRC32C.checksum(bytes[start...], seed: groupSeed(group)), into: &bytes)
    }

    /// The checksum of an entry as the codec sends it and the log store keeps it: CRC-32C over the
    /// group id (big-endian u32) and the entry's encoding (term, index, kind, length, data). The
    /// group is included so an entry delivered to, or stored under, the wrong group fails too.
    public static func entryChecksum(_ entry: RaftEntry, group: UInt32) -> UInt32 {
        var header: [UInt8] = []
        header.reserveCapacity(32)
        writeVarint(entry.term, into: &header)
        writeVarint(entry.index, into: &header)
        header.append(entry.kind.rawValue)
        writeVarint(UInt64(entry.data.count), into: &header)
        return CRC32C.checksum(entry.data, seed: CRC32C.checksum(header, seed: groupSeed(group)))
    }

    static func writeEntryBody(_ entry: RaftEntry, into bytes: inout [UInt8]) {
        writeVarint(entry.term, into: &bytes)
        writeVarint(entry.index, into: &bytes)
        bytes.append(entry.kind.rawValue)
        writeVarint(UInt64(entry.data.count), into: &bytes)
        bytes.append(contentsOf: entry.data)
    }

    static func groupSeed(_ group: UInt32) -> UInt32 {
        CRC32C.checksum([UInt8(truncatingIfNeeded: group >> 24), UInt8(truncatingIfNeeded: group >> 16),
                         UInt8(truncatingIfNeeded: group >> 8), UInt8(truncatingIfNeeded: group)])
    }

    /// An upper bound good enough to reserve once: headers are at most ~100 bytes per envelope.
    static func estimatedSize(of batch: [RaftEnvelope]) -> Int {
        var size = 32
        for envelope in batch {
            size += 96
            for entry in envelope.message.entries { size += entry.data.count + 36 }
            if let snapshot = envelope.message.snapshot {
                size += snapshot.data.count + 40 + 10 * (snapshot.metadata.conf.voters.count + snapshot.metadata.conf.learners.count)
            }
        }
        return size
    }

    // MARK: Decoding

    public static func decode(_ bytes: [UInt8], limits: Limits = .default) throws(RaftCodecError) -> [RaftEnvelope] {
        guard bytes.count <= limits.maxBatchBytes else {
            throw .limit("batch of \(bytes.count) bytes exceeds \(limits.maxBatchBytes)")
        }
        // The smallest batch: version, from, to, count, crc.
        guard bytes.count >= 8 else { throw .malformed("batch of \(bytes.count) bytes is too short") }
        let body = bytes.count - 4
        var stored: UInt32 = 0
        for index in body..<bytes.count { stored = stored << 8 | UInt32(bytes[index]) }
        let computed = CRC32C.checksum(bytes[..<body])
        guard stored == computed else { throw .checksum("batch checksum mismatch") }
        var reader = Reader(bytes: bytes, end: body, limits: limits)
        let batch = try reader.readBatch()
        guard reader.isAtEnd else { throw .malformed("\(reader.remaining) trailing bytes") }
        return batch
    }

    // MARK: Primitives

    @inline(__always)
    static func writeU32(_ value: UInt32, into bytes: inout [UInt8]) { ByteWriter.u32(value, into: &bytes) }

    @inline(__always)
    static func writeVarint(_ value: UInt64, into bytes: inout [UInt8]) { ByteWriter.varint(value, into: &bytes) }
}

extension RaftCodec {
    /// A bounds-checked cursor over `bytes[..<end]`: every read checks the remaining length first.
    struct Reader {
        private var base: ByteReader
        let limits: Limits

        init(bytes: [UInt8], end: Int, limits: Limits) {
            base = ByteReader(bytes, end: end)
            self.limits = limits
        }

        var bytes: [UInt8] { base.bytes }
        var offset: Int { base.offset }
        var isAtEnd: Bool { base.isAtEnd }
        var remaining: Int { base.remaining }

        @inline(__always)
        mutating func readU8() throws(RaftCodecError) -> UInt8 {
            do { return try base.byte() } catch { throw .malformed(error.message) }
        }

        @inline(__always)
        mutating func readU32() throws(RaftCodecError) -> UInt32 {
            do { return try base.u32() } catch { throw .malformed(error.message) }
        }

        /// Minimal LEB128 only: an overlong form would make two encodings of one value.
        @inline(__always)
        mutating func readVarint() throws(RaftCodecError) -> UInt64 {
            do { return try base.varint() } catch { throw .malformed(error.message) }
        }

        /// A field flagged present: zero would have been left out by the encoder.
        mutating func readNonZero(_ what: String) throws(RaftCodecError) -> UInt64 {
            let value = try readVarint()
            guard value != 0 else { throw .malformed("\(what) flagged present but zero") }
            return value
        }

        mutating func readCount(max: Int, minimumElementSize: Int, what: String) throws(RaftCodecError) -> Int {
            let count = try readVarint()
            guard count <= UInt64(clamping: max) else { throw .limit("\(count) \(what) exceed \(max)") }
            let (needed, overflow) = count.multipliedReportingOverflow(by: UInt64(clamping: minimumElementSize))
            guard !overflow, needed <= UInt64(remaining) else {
                throw .malformed("\(count) \(what) cannot fit in \(remaining) bytes")
            }
            return Int(count)
        }

        mutating func readPayload(max: Int, what: String) throws(RaftCodecError) -> [UInt8] {
            let length = try readVarint()
            guard length <= UInt64(clamping: max) else { throw .limit("\(what) of \(length) bytes exceeds \(max)") }
            guard length <= UInt64(remaining) else { throw .malformed("\(what) of \(length) bytes runs past the end") }
            do { return try base.bytes(Int(length)) } catch { throw .malformed(error.message) }
        }

        /// Checks the u32 that follows against the CRC of `bytes[start..<offset]` seeded with the group.
        mutating func verifyChecksum(from start: Int, group: UInt32, what: String) throws(RaftCodecError) {
            let computed = CRC32C.checksum(bytes[start..<offset], seed: RaftCodec.groupSeed(group))
            let stored = try readU32()
            guard stored == computed else { throw .checksum("\(what) checksum mismatch") }
        }

        mutating func readBatch() throws(RaftCodecError) -> [RaftEnvelope] {
            let version = try readU8()
            guard version == RaftCodec.version else { throw .malformed("unknown version \(version)") }
            let from = try readVarint()
            let to = try readVarint()
            // An envelope is at least group, kind, fields and term.
            let count = try readCount(max: limits.maxEnvelopes, minimumElementSize: 4, what: "envelopes")
            guard count > 0 || (from == 0 && to == 0) else { throw .malformed("empty batch names a node pair") }
            var batch: [RaftEnvelope] = []
            batch.reserveCapacity(count)
            for position in 0..<count {
                let envelope = try readEnvelope(from: from, to: to)
                if position == 0, envelope.message.from != from || envelope.message.to != to {
                    throw .malformed("the first envelope does not match the batch's node pair")
                }
                batch.append(envelope)
            }
            return batch
        }

        mutating func readEnvelope(from: RaftNodeID, to: RaftNodeID) throws(RaftCodecError) -> RaftEnvelope {
            let rawGroup = try readVarint()
            guard rawGroup <= UInt64(UInt32.max) else { throw .malformed("group \(rawGroup) exceeds 32 bits") }
            let group = UInt32(rawGroup)
            let rawKind = try readU8()
            guard let kind = RaftMessageKind(rawValue: rawKind) else { throw .malformed("unknown message kind \(rawKind)") }
            let fields = Fields(rawValue: try readVarint())
            guard Fields.all.isSuperset(of: fields) else { throw .malformed("unknown field bits \(fields.rawValue)") }
            var message = RaftMessage(kind: kind, from: from, to: to, term: try readVarint())
            if fields.contains(.from) {
                message.from = try readVarint()
                guard message.from != from else { throw .malformed("from repeats the batch's") }
            }
            if fields.contains(.to) {
                message.to = try readVarint()
                guard message.to != to else { throw .malformed("to repeats the batch's") }
            }
            if fields.contains(.logTerm) { message.logTerm = try readNonZero("logTerm") }
            if fields.contains(.index) { message.index = try readNonZero("index") }
            if fields.contains(.commit) { message.commit = try readNonZero("commit") }
            if fields.contains(.context) { message.context = try readNonZero("context") }
            if fields.contains(.rejectHint) { message.rejectHint = try readNonZero("rejectHint") }
            message.reject = fields.contains(.reject)
            if fields.contains(.entries) {
                // An entry is at least term, index, kind, length and crc.
                let count = try readCount(max: limits.maxEntriesPerMessage, minimumElementSize: 8, what: "entries")
                guard count > 0 else { throw .malformed("entries flagged present but empty") }
                message.entries.reserveCapacity(count)
                for _ in 0..<count {
                    message.entries.append(try readEntry(group: group))
                }
            }
            if fields.contains(.snapshot) {
                message.snapshot = try readSnapshot(group: group)
            }
            return RaftEnvelope(group: group, message: message)
        }

        mutating func readEntry(group: UInt32) throws(RaftCodecError) -> RaftEntry {
            let start = offset
            let term = try readVarint()
            let index = try readVarint()
            let rawKind = try readU8()
            guard let kind = RaftEntryKind(rawValue: rawKind) else { throw .malformed("unknown entry kind \(rawKind)") }
            let data = try readPayload(max: limits.maxEntryBytes, what: "entry")
            try verifyChecksum(from: start, group: group, what: "entry \(index)")
            return RaftEntry(term: term, index: index, kind: kind, data: data)
        }

        mutating func readMembers(what: String) throws(RaftCodecError) -> [RaftNodeID] {
            let count = try readCount(max: limits.maxConfMembers, minimumElementSize: 1, what: what)
            var members: [RaftNodeID] = []
            members.reserveCapacity(count)
            for _ in 0..<count {
                let member = try readVarint()
                if let last = members.last, member <= last { throw .malformed("\(what) not strictly ascending") }
                members.append(member)
            }
            return members
        }

        mutating func readSnapshot(group: UInt32) throws(RaftCodecError) -> RaftSnapshot {
            let start = offset
            let index = try readVarint()
            let term = try readVarint()
            let voters = try readMembers(what: "voters")
            let learners = try readMembers(what: "learners")
            // Disjoint, or the normalised configuration would differ from what was sent.
            var v = 0, l = 0
            while v < voters.count, l < learners.count {
                if voters[v] == learners[l] { throw .malformed("node \(voters[v]) is both voter and learner") }
                if voters[v] < learners[l] { v += 1 } else { l += 1 }
            }
            let data = try readPayload(max: limits.maxSnapshotBytes, what: "snapshot")
            try verifyChecksum(from: start, group: group, what: "snapshot")
            return RaftSnapshot(metadata: RaftSnapshotMetadata(index: index, term: term,
                                                               conf: RaftConfState(voters: voters, learners: learners)),
                                data: data)
        }
    }
}
