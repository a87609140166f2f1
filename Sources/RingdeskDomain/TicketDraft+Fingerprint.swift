import Foundation

extension TicketDraft {
    /// A digest of what the client asked for, so that an idempotency key reused with another
    /// request is refused instead of answered with the first ticket. Taken over the validated
    /// draft (subject trimmed, the default queue spelled out) in canonical JSON (sorted keys),
    /// so key order, whitespace and an omitted default do not count as a different request.
    /// Not a security boundary: who may reuse a key is decided elsewhere.
    public var fingerprint: String {
        var canonical = (try? validated()) ?? self
        canonical.queue = canonical.effectiveQueue
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain strings, numbers and dates cannot fail; an empty digest would only
        // make every such draft look alike, never let two different ones through as equal.
        let bytes = (try? encoder.encode(canonical)) ?? Data()
        return "fnv1a64:" + String(Self.fnv1a64(bytes), radix: 16)
    }

    /// 64-bit FNV-1a: stable across processes and releases (unlike `Hasher`).
    static func fnv1a64(_ bytes: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
