import Foundation

/// The name of a snapshot in `data_dir/backups`: `ringdesk-2026-12-02T051138.123Z-1A2B3C4D.sqlite`.
/// The node makes every name from this one shape and serves back only names of this exact shape,
/// so a name from a client can never hold `/`, `..`, a NUL or anything else that leaves the folder.
enum BackupName {
    /// `0` a decimal digit, `X` an upper-case hex digit, anything else itself.
    static let shape = "ringdesk-0000-00-00T000000.000Z-XXXXXXXX.sqlite"

    /// A fresh name for a snapshot taken at `stamp` (an ISO 8601 time with milliseconds, UTC):
    /// colons dropped, a random suffix so two backups in the same millisecond do not collide.
    static func make(stamp: String, suffix: UUID = UUID()) -> String? {
        let name = "ringdesk-\(stamp.replacingOccurrences(of: ":", with: ""))-\(suffix.uuidString.prefix(8)).sqlite"
        return validated(name)
    }

    /// `text` when it has exactly the shape of a name the node makes, else nil.
    static func validated(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        let pattern = Array(shape.utf8)
        guard bytes.count == pattern.count else { return nil }
        for (byte, expected) in zip(bytes, pattern) {
            switch expected {
            case UInt8(ascii: "0"):
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            case UInt8(ascii: "X"):
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte) else { return nil }
            default:
                guard byte == expected else { return nil }
            }
        }
        return text
    }
}
