import Foundation

/// Human formatting of dates, durations, percentages and long text.
enum Format {
    static let dateStyle = Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .space, timeZone: .gmt)

    /// `2026-11-24 11:44:15Z`, or `-` when absent.
    static func date(_ date: Date?) -> String {
        guard let date else { return "-" }
        return date.formatted(dateStyle)
    }

    /// The date with how far it is from now: `2026-11-24 12:44:15Z (in 59m)`.
    static func due(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "-" }
        let delta = date.timeIntervalSince(now)
        let relative = delta >= 0 ? "in \(duration(delta))" : "\(duration(-delta)) ago"
        return "\(self.date(date)) (\(relative))"
    }

    /// `850ms`, `4.2s`, `3m 04s`, `2h 05m`, `3d 4h`; `-` when absent.
    static func duration(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        let s = max(0, value)
        if s < 1 { return "\(Int((s * 1000).rounded()))ms" }
        if s < 60 { return seconds(s) }
        let total = Int(s.rounded())
        if total < 3600 { return "\(total / 60)m \(pad(total % 60))s" }
        if total < 86_400 { return "\(total / 3600)h \(pad(total % 3600 / 60))m" }
        return "\(total / 86_400)d \(total % 86_400 / 3600)h"
    }

    /// `4.2s` with one decimal.
    static func seconds(_ s: Double) -> String {
        String(format: "%.1fs", s)
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.1f%%", value)
    }

    static func number(_ value: Double?, decimals: Int = 2) -> String {
        guard let value else { return "-" }
        return String(format: "%.\(decimals)f", value)
    }

    static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// One line, at most `limit` characters (ellipsis when cut).
    static func clip(_ text: String?, _ limit: Int = 48) -> String {
        guard let text, !text.isEmpty else { return "-" }
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= limit ? flat : String(flat.prefix(limit - 1)) + "…"
    }

    static func list(_ values: [String]) -> String {
        values.isEmpty ? "-" : values.joined(separator: ",")
    }
}
