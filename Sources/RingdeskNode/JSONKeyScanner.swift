/// Finds the first object key that a `KeySchema` does not allow, by scanning the JSON bytes once
/// without building values: strict decoding then costs a byte walk, not a second parse. It does not
/// validate the JSON (the typed decode that follows does); on anything it does not understand —
/// a key with escapes, broken input — it answers `.undecided` and the caller checks the slow way.
struct JSONKeyScanner {
    enum Result: Equatable {
        case allKnown
        case unknown(path: String, key: String)
        case undecided
    }

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private let schema: KeySchema
    private var depth = 0

    static func scan(_ bytes: UnsafeRawBufferPointer, schema: KeySchema) -> Result {
        var scanner = JSONKeyScanner(bytes: bytes, schema: schema)
        do {
            try scanner.value(path: "")
            return .allKnown
        } catch let stop as Stop {
            switch stop {
            case .unknown(let path, let key): return .unknown(path: path, key: key)
            case .undecided: return .undecided
            }
        } catch {
            return .undecided
        }
    }

    private init(bytes: UnsafeRawBufferPointer, schema: KeySchema) {
        self.bytes = bytes
        self.schema = schema
    }

    private enum Stop: Error {
        case unknown(String, String)
        case undecided
    }

    private mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    private mutating func peek() throws -> UInt8 {
        skipSpace()
        guard index < bytes.count else { throw Stop.undecided }
        return bytes[index]
    }

    private mutating func value(path: String) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { throw Stop.undecided }
        switch try peek() {
        case UInt8(ascii: "{"): try object(path: path)
        case UInt8(ascii: "["): try array(path: path)
        case UInt8(ascii: "\""): _ = try string(keepingText: false)
        default:
            // number, true, false, null: skip to the next delimiter
            while index < bytes.count, !Self.delimiters.contains(bytes[index]) { index += 1 }
        }
    }

    private static let delimiters: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09]

    private mutating func object(path: String) throws {
        index += 1  // {
        let allowed = schema.allowed[path]
        if try peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw Stop.undecided }
            let key = try string(keepingText: true) ?? ""
            if let allowed, !allowed.contains(key) { throw Stop.unknown(path, key) }
            guard try peek() == UInt8(ascii: ":") else { throw Stop.undecided }
            index += 1
            try value(path: path.isEmpty ? key : path + "." + key)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return
            default: throw Stop.undecided
            }
        }
    }

    private mutating func array(path: String) throws {
        index += 1  // [
        if try peek() == UInt8(ascii: "]") { index += 1; return }
        while true {
            try value(path: path + "[]")
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return
            default: throw Stop.undecided
            }
        }
    }

    /// Reads a string; returns its text when asked (keys), which must be free of escapes.
    private mutating func string(keepingText: Bool) throws -> String? {
        index += 1  // opening quote
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 2
                continue
            }
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                guard keepingText else { return nil }
                if escaped { throw Stop.undecided }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            }
            index += 1
        }
        throw Stop.undecided
    }
}
