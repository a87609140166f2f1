/// Finds the number tokens of a JSON document that an integer field could refuse (a fraction,
/// an exponent, or more digits than an `Int` holds), each with its field path
/// (`required_skills[0].min_level`) and byte range. Foundation's decoder reports such a number
/// as "not valid JSON" without naming the field; `APIJSON` uses these to name it.
struct JSONNumberLocator {
    struct Candidate: Equatable {
        var path: String
        var range: Range<Int>
    }

    private let bytes: [UInt8]
    private var index = 0
    private var found: [Candidate] = []
    private var depth = 0

    /// The candidates in document order; empty when the bytes are not JSON this walker reads
    /// (keys with escapes, deep nesting, broken input).
    static func candidates(in bytes: [UInt8], limit: Int = 64) -> [Candidate] {
        var locator = JSONNumberLocator(bytes: bytes)
        do {
            try locator.value(path: "")
        } catch {
            return []
        }
        return Array(locator.found.prefix(limit))
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private struct Stop: Error {}

    private mutating func peek() throws -> UInt8 {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        guard index < bytes.count else { throw Stop() }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try peek() == byte else { throw Stop() }
        index += 1
    }

    private mutating func value(path: String) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { throw Stop() }
        switch try peek() {
        case UInt8(ascii: "{"):
            index += 1
            if try peek() == UInt8(ascii: "}") { index += 1; return }
            while true {
                guard try peek() == UInt8(ascii: "\"") else { throw Stop() }
                let key = try string(isKey: true)
                try expect(UInt8(ascii: ":"))
                try value(path: path.isEmpty ? key : "\(path).\(key)")
                if try peek() == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "}"))
                return
            }
        case UInt8(ascii: "["):
            index += 1
            if try peek() == UInt8(ascii: "]") { index += 1; return }
            var element = 0
            while true {
                try value(path: "\(path)[\(element)]")
                element += 1
                if try peek() == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"))
                return
            }
        case UInt8(ascii: "\""):
            _ = try string(isKey: false)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            var digits = 0
            var integral = true
            while index < bytes.count {
                let byte = bytes[index]
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    digits += 1
                } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                    integral = false
                } else if byte != UInt8(ascii: "-") && byte != UInt8(ascii: "+") {
                    break
                }
                index += 1
            }
            if !integral || digits > 18 { found.append(Candidate(path: path.isEmpty ? "body" : path, range: start..<index)) }
        default:
            // true, false, null
            while index < bytes.count, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[index]) { index += 1 }
        }
    }

    /// A string's text; keys with escapes are not read (the caller gives up), values skip them.
    private mutating func string(isKey: Bool) throws -> String {
        index += 1
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"):
                if isKey { throw Stop() }
                index += 2
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return String(decoding: bytes[start..<index], as: UTF8.self)
            default: index += 1
            }
        }
        throw Stop()
    }
}
