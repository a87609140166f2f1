import Foundation
import RingdeskDomain
import RingdeskPrimitives

/// A closed set the binary codecs write as one byte: the case's position in `wireOrder`, plus one
/// (0 stays free for "absent"). Append only: a code once given never changes meaning, whatever
/// the declaration order of the enum becomes.
protocol WireEnum: Equatable, CaseIterable {
    static var wireOrder: [Self] { get }
}

extension TicketCategory: WireEnum {
    static let wireOrder: [TicketCategory] = [.return, .exchange, .refund, .repair, .complaint, .inquiry, .logistics]
}

extension Channel: WireEnum {
    static let wireOrder: [Channel] = [.phone, .chat, .email, .social, .sms, .app]
}

extension CustomerTier: WireEnum {
    static let wireOrder: [CustomerTier] = [.standard, .vip]
}

extension TicketStatus: WireEnum {
    static let wireOrder: [TicketStatus] = [.new, .queued, .offered, .assigned, .inProgress, .waitingOnCustomer, .resolved, .closed, .cancelled]
}

extension Urgency: WireEnum {
    static let wireOrder: [Urgency] = [.green, .yellow, .red]
}

extension SupportTier: WireEnum {
    static let wireOrder: [SupportTier] = [.l1, .l2, .expert]
}

extension Presence: WireEnum {
    static let wireOrder: [Presence] = [.available, .away, .offline]
}

extension TicketActor.Kind: WireEnum {
    static let wireOrder: [TicketActor.Kind] = [.system, .agent, .supervisor, .customer, .intake]
}

extension TicketEvent.Kind: WireEnum {
    static let wireOrder: [TicketEvent.Kind] = [
        .created, .queued, .offered, .offerAccepted, .offerRejected, .offerExpired, .workStarted, .commented,
        .customerInfoRequested, .customerReplied, .transferred, .escalated, .resolved, .closed, .reopened, .cancelled,
        .urgencyOverridden, .urgencyOverrideCleared, .urgencyEscalated, .slaBreached, .leaseExpired,
        .deliveryLimitReached, .feedbackReceived, .followUpLinked,
    ]
}

/// Field encodings the ticket and routing-domain codecs share. Canonical: one value, one
/// encoding (booleans are 0 or 1, -0.0 is written as +0.0, dictionaries in ascending key order),
/// and the reader refuses every other form, so decoding then encoding gives the same bytes.
extension ByteWriter {
    @inlinable
    mutating func bool(_ value: Bool) {
        byte(value ? 1 : 0)
    }

    /// IEEE-754 bits, big-endian; -0.0 as +0.0 (they compare equal, so they must encode equal).
    @inlinable
    mutating func double(_ value: Double) {
        u64(value == 0 ? 0 : value.bitPattern)
    }

    @inlinable
    mutating func date(_ value: Date) {
        double(value.timeIntervalSinceReferenceDate)
    }

    @inlinable
    mutating func optionalDate(_ value: Date?) {
        if let value {
            byte(1)
            date(value)
        } else {
            byte(0)
        }
    }

    @inlinable
    mutating func optionalDouble(_ value: Double?) {
        if let value {
            byte(1)
            double(value)
        } else {
            byte(0)
        }
    }

    @inlinable
    mutating func int(_ value: Int) {
        signed(Int64(value))
    }

    mutating func code<Value: WireEnum>(_ value: Value) {
        // Every case is in `wireOrder` (tested for each enum), so the lookup cannot fail.
        byte(UInt8(truncatingIfNeeded: (Value.wireOrder.firstIndex(of: value) ?? -1) + 1))
    }

    /// 0 for nil, else the value's code.
    mutating func optionalCode<Value: WireEnum>(_ value: Value?) {
        if let value { code(value) } else { byte(0) }
    }

    mutating func strings(_ values: [String]) {
        varint(UInt64(values.count))
        for value in values { string(value) }
    }

    /// Count, then key/value pairs in ascending key order.
    mutating func stringMap(_ values: [String: String]) {
        varint(UInt64(values.count))
        if values.count == 1, let only = values.first {
            string(only.key)
            string(only.value)
            return
        }
        for key in values.keys.sorted() {
            string(key)
            string(values[key]!)
        }
    }

    mutating func intMap(_ values: [String: Int]) {
        varint(UInt64(values.count))
        for key in values.keys.sorted() {
            string(key)
            int(values[key]!)
        }
    }
}

/// Bounds every decoder enforces on top of "never past the input": no count can ask for more
/// elements than the remaining bytes could hold, so what a decoder allocates stays proportional
/// to the bytes it was given.
public enum TicketCodecLimits {
    /// Any one string (ids, free text, details), in UTF-8 bytes.
    public static let maxStringBytes = 1 << 20
    /// Elements of any one list or map.
    public static let maxElements = 1 << 24
}

extension ByteReader {
    mutating func bool() throws(ByteReaderError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other: throw ByteReaderError("boolean \(other) at byte \(offset - 1)")
        }
    }

    /// A finite double in canonical form (no -0.0, no NaN or infinity: JSON never carried them
    /// either, and the domain validates them away).
    mutating func double() throws(ByteReaderError) -> Double {
        let bits = try u64()
        let value = Double(bitPattern: bits)
        guard value.isFinite, bits != (-0.0 as Double).bitPattern else {
            throw ByteReaderError("number \(value) is not a canonical finite value at byte \(offset - 8)")
        }
        return value
    }

    mutating func date() throws(ByteReaderError) -> Date {
        Date(timeIntervalSinceReferenceDate: try double())
    }

    mutating func presence() throws(ByteReaderError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other: throw ByteReaderError("presence flag \(other) at byte \(offset - 1)")
        }
    }

    mutating func optionalDate() throws(ByteReaderError) -> Date? {
        try presence() ? try date() : nil
    }

    mutating func optionalDouble() throws(ByteReaderError) -> Double? {
        try presence() ? try double() : nil
    }

    mutating func text() throws(ByteReaderError) -> String {
        try string(limit: TicketCodecLimits.maxStringBytes)
    }

    mutating func optionalText() throws(ByteReaderError) -> String? {
        try presence() ? try text() : nil
    }

    mutating func int() throws(ByteReaderError) -> Int {
        Int(try signed())
    }

    mutating func code<Value: WireEnum>(_: Value.Type = Value.self) throws(ByteReaderError) -> Value {
        let raw = try byte()
        let order = Value.wireOrder
        guard raw >= 1, Int(raw) <= order.count else { throw ByteReaderError("unknown \(Value.self) code \(raw) at byte \(offset - 1)") }
        return order[Int(raw) - 1]
    }

    mutating func optionalCode<Value: WireEnum>(_: Value.Type = Value.self) throws(ByteReaderError) -> Value? {
        let raw = try byte()
        if raw == 0 { return nil }
        offset -= 1
        return try code(Value.self)
    }

    /// A count of elements that take at least `minimumBytes` each: refused when the rest of the
    /// input could not hold that many, before anything is allocated.
    mutating func count(minimumBytes: Int) throws(ByteReaderError) -> Int {
        let raw = try varint()
        guard raw <= UInt64(TicketCodecLimits.maxElements), Int(raw) * minimumBytes <= remaining else {
            throw ByteReaderError("count \(raw) does not fit the \(remaining) bytes left at byte \(offset)")
        }
        return Int(raw)
    }

    mutating func strings() throws(ByteReaderError) -> [String] {
        let count = try count(minimumBytes: 1)
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try text()) }
        return values
    }

    /// Keys must be strictly ascending (canonical order, no key twice).
    mutating func stringMap() throws(ByteReaderError) -> [String: String] {
        let count = try count(minimumBytes: 2)
        var values: [String: String] = [:]
        values.reserveCapacity(count)
        var previous: String?
        for _ in 0..<count {
            let key = try text()
            if let previous, !(previous < key) { throw ByteReaderError("map key '\(key)' out of order at byte \(offset)") }
            values[key] = try text()
            previous = key
        }
        return values
    }

    mutating func intMap() throws(ByteReaderError) -> [String: Int] {
        let count = try count(minimumBytes: 2)
        var values: [String: Int] = [:]
        values.reserveCapacity(count)
        var previous: String?
        for _ in 0..<count {
            let key = try text()
            if let previous, !(previous < key) { throw ByteReaderError("map key '\(key)' out of order at byte \(offset)") }
            values[key] = try int()
            previous = key
        }
        return values
    }
}
