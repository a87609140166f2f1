import Foundation

/// Opening hours on one weekday, as minutes after local midnight (`end_minute` 1440 = 24:00).
/// Several entries for the same weekday give split shifts.
public struct OpeningHours: Sendable, Codable, Hashable {
    public var weekday: Weekday
    public var startMinute: Int
    public var endMinute: Int

    public init(weekday: Weekday, startMinute: Int, endMinute: Int) {
        self.weekday = weekday
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    /// Convenience: `OpeningHours(.monday, from: 9, to: 18)` for whole hours.
    public init(_ weekday: Weekday, from startHour: Int, to endHour: Int) {
        self.init(weekday: weekday, startMinute: startHour * 60, endMinute: endHour * 60)
    }

    enum CodingKeys: String, CodingKey {
        case weekday
        case startMinute = "start_minute"
        case endMinute = "end_minute"
    }
}

/// Business hours of a region: weekly opening hours in an IANA time zone minus holidays, or
/// always open. SLA targets are counted in this time. Local times are resolved with
/// Foundation's `Calendar` in the zone, so days shortened or lengthened by DST are exact.
/// All loops are bounded by `maxDays`.
public struct BusinessCalendar: Sendable, Codable, Hashable {
    public var timeZoneIdentifier: String
    public var alwaysOpen: Bool
    public var weeklyHours: [OpeningHours]
    public var holidays: [LocalDate]

    /// Upper bound on days walked by one computation (about ten years).
    public static let maxDays = 3_700

    public init(timeZoneIdentifier: String, weeklyHours: [OpeningHours], holidays: [LocalDate] = []) {
        self.timeZoneIdentifier = timeZoneIdentifier
        self.alwaysOpen = false
        self.weeklyHours = weeklyHours
        self.holidays = holidays
    }

    /// Open around the clock: business time equals wall-clock time.
    public static let alwaysOpen = BusinessCalendar(alwaysOpenIn: "UTC")

    public init(alwaysOpenIn timeZoneIdentifier: String) {
        self.timeZoneIdentifier = timeZoneIdentifier
        self.alwaysOpen = true
        self.weeklyHours = []
        self.holidays = []
    }

    /// Monday to Friday, `from`:00 to `to`:00 local time.
    public static func weekdays(from startHour: Int = 9, to endHour: Int = 18, timeZone: String,
                                holidays: [LocalDate] = []) -> BusinessCalendar {
        let days: [Weekday] = [.monday, .tuesday, .wednesday, .thursday, .friday]
        return BusinessCalendar(timeZoneIdentifier: timeZone,
                                weeklyHours: days.map { OpeningHours($0, from: startHour, to: endHour) },
                                holidays: holidays)
    }

    enum CodingKeys: String, CodingKey {
        case timeZoneIdentifier = "time_zone"
        case alwaysOpen = "always_open"
        case weeklyHours = "weekly_hours"
        case holidays
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timeZoneIdentifier = try c.decodeIfPresent(String.self, forKey: .timeZoneIdentifier) ?? "UTC"
        alwaysOpen = try c.decodeIfPresent(Bool.self, forKey: .alwaysOpen) ?? false
        weeklyHours = try c.decodeIfPresent([OpeningHours].self, forKey: .weeklyHours) ?? []
        holidays = try c.decodeIfPresent([LocalDate].self, forKey: .holidays) ?? []
    }

    /// Checks the zone exists and every opening interval is within 0...1440 and non-empty.
    public func validated() throws -> BusinessCalendar {
        guard TimeZone(identifier: timeZoneIdentifier) != nil else {
            throw DomainError.invalid("time_zone", "unknown IANA time zone \"\(timeZoneIdentifier)\"")
        }
        for (i, hours) in weeklyHours.enumerated() {
            guard (0...1440).contains(hours.startMinute), (0...1440).contains(hours.endMinute),
                  hours.startMinute < hours.endMinute else {
                throw DomainError.invalid("weekly_hours[\(i)]", "needs 0 ≤ start_minute < end_minute ≤ 1440")
            }
        }
        return self
    }

    // MARK: Arithmetic

    /// The instant `seconds` of business time after `start`. Zero or negative returns `start`.
    /// When the calendar is never open within `maxDays`, returns `Date.distantFuture`.
    public func addBusinessTime(_ seconds: TimeInterval, to start: Date) -> Date {
        if alwaysOpen || seconds <= 0 { return start.addingTimeInterval(max(0, seconds)) }
        let calendar = makeCalendar()
        var remaining = seconds
        var day = localDate(of: start, calendar)
        for _ in 0..<Self.maxDays {
            for (open, close) in openIntervals(on: day, calendar) where close > start {
                let from = max(open, start)
                let available = close.timeIntervalSince(from)
                if remaining <= available { return from.addingTimeInterval(remaining) }
                remaining -= available
            }
            day = day.adding(days: 1)
        }
        return .distantFuture
    }

    /// Business time between two instants; negative when `end` is before `start`.
    public func businessTime(from start: Date, to end: Date) -> TimeInterval {
        if end < start { return -businessTime(from: end, to: start) }
        if alwaysOpen { return end.timeIntervalSince(start) }
        let calendar = makeCalendar()
        var total: TimeInterval = 0
        var day = localDate(of: start, calendar)
        let lastDay = localDate(of: end, calendar)
        var walked = 0
        while day <= lastDay && walked < Self.maxDays {
            for (open, close) in openIntervals(on: day, calendar) {
                let from = max(open, start)
                let to = min(close, end)
                if to > from { total += to.timeIntervalSince(from) }
            }
            day = day.adding(days: 1)
            walked += 1
        }
        return total
    }

    /// Whether `date` falls inside opening hours.
    public func isOpen(at date: Date) -> Bool {
        if alwaysOpen { return true }
        let calendar = makeCalendar()
        return openIntervals(on: localDate(of: date, calendar), calendar).contains { $0.0 <= date && date < $0.1 }
    }

    // MARK: Internals

    func makeCalendar() -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZoneIdentifier) ?? TimeZone(secondsFromGMT: 0)!
        return calendar
    }

    func localDate(of date: Date, _ calendar: Calendar) -> LocalDate {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return LocalDate(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1)
    }

    /// The instant of `minute` minutes after local midnight on `day` (1440 = next midnight).
    func instant(_ day: LocalDate, minute: Int, _ calendar: Calendar) -> Date {
        if minute >= 1440 { return instant(day.adding(days: 1), minute: 0, calendar) }
        let components = DateComponents(year: day.year, month: day.month, day: day.day,
                                        hour: minute / 60, minute: minute % 60)
        return calendar.date(from: components) ?? Date(timeIntervalSince1970: Double(day.daysSinceEpoch) * 86_400)
    }

    /// Sorted, merged opening intervals of one local day; empty on holidays.
    func openIntervals(on day: LocalDate, _ calendar: Calendar) -> [(Date, Date)] {
        if holidays.contains(day) { return [] }
        let weekday = day.weekday
        let ranges = weeklyHours
            .filter { $0.weekday == weekday && $0.startMinute < $0.endMinute }
            .map { (max(0, $0.startMinute), min(1440, $0.endMinute)) }
            .sorted { $0.0 < $1.0 }
        var merged: [(Int, Int)] = []
        for range in ranges {
            if let last = merged.last, range.0 <= last.1 {
                merged[merged.count - 1].1 = max(last.1, range.1)
            } else {
                merged.append(range)
            }
        }
        return merged.compactMap { range in
            let open = instant(day, minute: range.0, calendar)
            let close = instant(day, minute: range.1, calendar)
            return close > open ? (open, close) : nil
        }
    }
}
