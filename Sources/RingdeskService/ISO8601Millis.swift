import Foundation

/// Dates as `2026-11-24T09:30:00.123Z` (UTC, milliseconds), formatted and parsed with integer
/// arithmetic: the API and the stored documents share this form, so a ticket encoded once for
/// storage is also the response body. Foundation's formatters cost more than the rest of a create.
public enum ISO8601Millis {
    public static func string(_ date: Date) -> String {
        // Half a microsecond of slack so a date parsed from milliseconds formats back exactly
        // (k / 1000 * 1000 can land just below k in binary floating point).
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000 + 0.0005).rounded(.down))
        var days = totalMillis >= 0 ? totalMillis / 86_400_000 : (totalMillis - 86_399_999) / 86_400_000
        let millisOfDay = totalMillis - days * 86_400_000
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        var year = yearOfEra + era * 400
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        if month <= 2 { year += 1 }
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int64, _ offset: Int, _ width: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(48 + value % 10)
                value /= 10
            }
        }
        put(year, 0, 4); bytes[4] = 45
        put(month, 5, 2); bytes[7] = 45
        put(day, 8, 2); bytes[10] = 84
        put(millisOfDay / 3_600_000, 11, 2); bytes[13] = 58
        put(millisOfDay / 60_000 % 60, 14, 2); bytes[16] = 58
        put(millisOfDay / 1000 % 60, 17, 2); bytes[19] = 46
        put(millisOfDay % 1000, 20, 3); bytes[23] = 90
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses this exact form quickly, and other ISO 8601 date-times (offsets, no fraction) through
    /// Foundation; nil when the text is not a date-time.
    public static func date(_ text: String) -> Date? {
        let utf8 = Array(text.utf8)
        if utf8.count == 24, utf8[4] == 45, utf8[7] == 45, utf8[10] == 84, utf8[13] == 58, utf8[16] == 58, utf8[19] == 46, utf8[23] == 90 {
            func number(_ offset: Int, _ width: Int) -> Int64? {
                var value: Int64 = 0
                for index in offset..<(offset + width) {
                    let digit = utf8[index]
                    guard digit >= 48 && digit <= 57 else { return nil }
                    value = value * 10 + Int64(digit - 48)
                }
                return value
            }
            if let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
               let minute = number(14, 2), let second = number(17, 2), let millis = number(20, 3),
               (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 {
                let y = month <= 2 ? year - 1 : year
                let era = (y >= 0 ? y : y - 399) / 400
                let yearOfEra = y - era * 400
                let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
                let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
                let days = era * 146_097 + dayOfEra - 719_468
                let millisTotal = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis
                return Date(timeIntervalSince1970: Double(millisTotal) / 1000)
            }
        }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(string(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = date(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 date-time such as 2026-11-24T09:30:00Z, got '\(text)'")
            }
            return date
        }
        return decoder
    }
}
