import Foundation
import RingdeskPrimitives

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
        return "fnv1a64:" + String(FNV1a.hash(bytes), radix: 16)
    }
}
