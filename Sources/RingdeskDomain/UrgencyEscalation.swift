import Foundation

/// Automatic rise of urgency as SLA slack runs out: when the first-response or resolution
/// clock has less than `warnFraction` of its target left the ticket becomes at least
/// `warnUrgency`; once a clock is breached, at least `breachedUrgency`. It never lowers a colour,
/// never moves SLA due dates (the promise made at creation stands), and does nothing while a
/// supervisor override is in force.
public struct UrgencyEscalation: Sendable, Codable, Hashable {
    public var enabled: Bool
    public var warnFraction: Double
    public var warnUrgency: Urgency
    public var breachedUrgency: Urgency

    public init(enabled: Bool = true, warnFraction: Double = 0.25, warnUrgency: Urgency = .yellow,
                breachedUrgency: Urgency = .red) {
        self.enabled = enabled
        self.warnFraction = warnFraction
        self.warnUrgency = warnUrgency
        self.breachedUrgency = breachedUrgency
    }

    enum CodingKeys: String, CodingKey {
        case enabled
        case warnFraction = "warn_fraction"
        case warnUrgency = "warn_urgency"
        case breachedUrgency = "breached_urgency"
    }

    public static let defaults = UrgencyEscalation()

    /// The urgency the ticket's SLA slack calls for at `now`, never below its current urgency.
    /// Only open tickets escalate; the first-response clock counts until the first response,
    /// the resolution clock while not paused.
    public func urgency(for ticket: Ticket, now: Date, calendar: BusinessCalendar) -> Urgency {
        guard enabled, !ticket.urgencyOverridden, ticket.status.isOpen else { return ticket.urgency }
        var fractions: [Double] = []
        if ticket.firstResponseAt == nil,
           let f = ticket.sla.remainingFraction(.firstResponse, now: now, calendar: calendar) {
            fractions.append(f)
        }
        if let f = ticket.sla.remainingFraction(.resolution, now: now, calendar: calendar) {
            fractions.append(f)
        }
        var result = ticket.urgency
        if ticket.sla.firstResponseBreached && ticket.firstResponseAt == nil { result = max(result, breachedUrgency) }
        if ticket.sla.resolutionBreached { result = max(result, breachedUrgency) }
        for f in fractions {
            if f <= 0 {
                result = max(result, breachedUrgency)
            } else if f < warnFraction {
                result = max(result, warnUrgency)
            }
        }
        return result
    }
}
