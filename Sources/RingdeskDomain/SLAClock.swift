import Foundation

/// Which SLA clock a breach or slack refers to.
public enum SLAKind: String, Sendable, Codable, CaseIterable, Hashable {
    case firstResponse = "first_response"
    case resolution
}

/// The SLA state carried by each ticket. Due dates are instants computed in the region's
/// business calendar from `startedAt`; time spent waiting on the customer (`totalPaused`,
/// business seconds) pushes the resolution due date back. The first-response clock never pauses.
public struct SLAClock: Sendable, Codable, Hashable {
    public var startedAt: Date
    public var firstResponseTarget: TimeInterval
    public var resolutionTarget: TimeInterval
    public var firstResponseDue: Date
    public var resolutionDue: Date
    /// Set while waiting on the customer.
    public var pausedSince: Date?
    /// Business seconds spent paused in completed pauses.
    public var totalPaused: TimeInterval
    public var firstResponseBreached: Bool
    public var resolutionBreached: Bool

    public init(startedAt: Date, target: SLATarget, calendar: BusinessCalendar) {
        self.startedAt = startedAt
        self.firstResponseTarget = target.firstResponse
        self.resolutionTarget = target.resolution
        self.firstResponseDue = calendar.addBusinessTime(target.firstResponse, to: startedAt)
        self.resolutionDue = calendar.addBusinessTime(target.resolution, to: startedAt)
        self.pausedSince = nil
        self.totalPaused = 0
        self.firstResponseBreached = false
        self.resolutionBreached = false
    }

    /// Every field as given: for decoders that rebuild a stored clock exactly.
    public init(startedAt: Date, firstResponseTarget: TimeInterval, resolutionTarget: TimeInterval, firstResponseDue: Date,
                resolutionDue: Date, pausedSince: Date?, totalPaused: TimeInterval, firstResponseBreached: Bool,
                resolutionBreached: Bool) {
        self.startedAt = startedAt
        self.firstResponseTarget = firstResponseTarget
        self.resolutionTarget = resolutionTarget
        self.firstResponseDue = firstResponseDue
        self.resolutionDue = resolutionDue
        self.pausedSince = pausedSince
        self.totalPaused = totalPaused
        self.firstResponseBreached = firstResponseBreached
        self.resolutionBreached = resolutionBreached
    }

    enum CodingKeys: String, CodingKey {
        case startedAt = "started_at"
        case firstResponseTarget = "first_response_target"
        case resolutionTarget = "resolution_target"
        case firstResponseDue = "first_response_due"
        case resolutionDue = "resolution_due"
        case pausedSince = "paused_since"
        case totalPaused = "total_paused"
        case firstResponseBreached = "first_response_breached"
        case resolutionBreached = "resolution_breached"
    }

    public var isPaused: Bool { pausedSince != nil }

    /// New targets (urgency changed by a supervisor); due dates recomputed from `startedAt`,
    /// keeping the pause shift.
    public mutating func retarget(_ target: SLATarget, calendar: BusinessCalendar) {
        firstResponseTarget = target.firstResponse
        resolutionTarget = target.resolution
        firstResponseDue = calendar.addBusinessTime(target.firstResponse, to: startedAt)
        resolutionDue = calendar.addBusinessTime(target.resolution + totalPaused, to: startedAt)
    }

    /// Starts a pause (idempotent).
    public mutating func pause(at now: Date) {
        if pausedSince == nil { pausedSince = now }
    }

    /// Ends a pause: the paused business time is added and the resolution due date moves.
    public mutating func resume(at now: Date, calendar: BusinessCalendar) {
        guard let since = pausedSince else { return }
        totalPaused += max(0, calendar.businessTime(from: since, to: now))
        pausedSince = nil
        resolutionDue = calendar.addBusinessTime(resolutionTarget + totalPaused, to: startedAt)
    }

    /// Adds a pause that is already over (e.g. the time a ticket sat resolved before a reopen).
    public mutating func addPause(from start: Date, to end: Date, calendar: BusinessCalendar) {
        totalPaused += max(0, calendar.businessTime(from: start, to: end))
        resolutionDue = calendar.addBusinessTime(resolutionTarget + totalPaused, to: startedAt)
    }

    /// Marks breaches visible at `now`; returns the clocks that newly breached.
    /// A first response or resolution given at `now` counts as on time when `now` ≤ due.
    public mutating func evaluate(now: Date, responded: Bool, resolved: Bool) -> [SLAKind] {
        var newly: [SLAKind] = []
        if !firstResponseBreached && !responded && now > firstResponseDue {
            firstResponseBreached = true
            newly.append(.firstResponse)
        }
        if !resolutionBreached && !resolved && pausedSince == nil && now > resolutionDue {
            resolutionBreached = true
            newly.append(.resolution)
        }
        return newly
    }

    /// Records the first response at `now`; returns true when it came late.
    public mutating func recordFirstResponse(at now: Date) -> Bool {
        if now > firstResponseDue && !firstResponseBreached {
            firstResponseBreached = true
            return true
        }
        return false
    }

    /// Records the resolution at `now` (ends any pause first); returns true when it came late.
    public mutating func recordResolution(at now: Date, calendar: BusinessCalendar) -> Bool {
        resume(at: now, calendar: calendar)
        if now > resolutionDue && !resolutionBreached {
            resolutionBreached = true
            return true
        }
        return false
    }

    /// Fraction of the target still left at `now` (1 = untouched, ≤ 0 = breached), in business
    /// time; nil for the resolution clock while paused.
    public func remainingFraction(_ kind: SLAKind, now: Date, calendar: BusinessCalendar) -> Double? {
        switch kind {
        case .firstResponse:
            guard firstResponseTarget > 0 else { return now > firstResponseDue ? 0 : 1 }
            return calendar.businessTime(from: now, to: firstResponseDue) / firstResponseTarget
        case .resolution:
            if pausedSince != nil { return nil }
            guard resolutionTarget > 0 else { return now > resolutionDue ? 0 : 1 }
            return calendar.businessTime(from: now, to: resolutionDue) / resolutionTarget
        }
    }
}
