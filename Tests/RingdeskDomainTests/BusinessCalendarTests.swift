import Foundation
import Testing
@testable import RingdeskDomain

@Suite struct BusinessCalendarTests {
    /// Mon–Fri 09:00–18:00 Berlin; 2025-06-09 (Whit Monday) is a holiday.
    let office = BusinessCalendar.weekdays(from: 9, to: 18, timeZone: "Europe/Berlin",
                                           holidays: [LocalDate(year: 2025, month: 6, day: 9)])

    @Test func withinOneDay() {
        #expect(office.addBusinessTime(3600, to: berlin(2025, 6, 3, 10)) == berlin(2025, 6, 3, 11))
        #expect(office.businessTime(from: berlin(2025, 6, 3, 10), to: berlin(2025, 6, 3, 11, 30)) == 5400)
    }

    @Test func overnight() {
        #expect(office.addBusinessTime(3600, to: berlin(2025, 6, 3, 17, 30)) == berlin(2025, 6, 4, 9, 30))
        #expect(office.businessTime(from: berlin(2025, 6, 3, 17, 30), to: berlin(2025, 6, 4, 9, 30)) == 3600)
    }

    @Test func startBeforeOpeningAndExactlyAtClose() {
        #expect(office.addBusinessTime(1800, to: berlin(2025, 6, 3, 7)) == berlin(2025, 6, 3, 9, 30))
        // Exactly consuming the day ends at 18:00, not next morning.
        #expect(office.addBusinessTime(9 * 3600, to: berlin(2025, 6, 3, 9)) == berlin(2025, 6, 3, 18))
        #expect(office.addBusinessTime(0, to: berlin(2025, 6, 3, 22)) == berlin(2025, 6, 3, 22))
    }

    @Test func overWeekend() {
        // Friday 2025-06-06 17:00 + 2 h → Tuesday 10:00 (Saturday, Sunday and the Monday holiday skipped).
        #expect(office.addBusinessTime(7200, to: berlin(2025, 6, 6, 17)) == berlin(2025, 6, 10, 10))
        // Friday 2025-05-30 17:00 + 2 h → Monday 2025-06-02 10:00 (no holiday).
        #expect(office.addBusinessTime(7200, to: berlin(2025, 5, 30, 17)) == berlin(2025, 6, 2, 10))
        #expect(office.businessTime(from: berlin(2025, 5, 30, 17), to: berlin(2025, 6, 2, 10)) == 7200)
        // Entirely inside the weekend: zero.
        #expect(office.businessTime(from: berlin(2025, 5, 31, 10), to: berlin(2025, 6, 1, 23)) == 0)
    }

    @Test func holidaysAreClosed() {
        #expect(!office.isOpen(at: berlin(2025, 6, 9, 12)))
        #expect(office.isOpen(at: berlin(2025, 6, 10, 12)))
        #expect(office.businessTime(from: berlin(2025, 6, 9, 0), to: berlin(2025, 6, 10, 0)) == 0)
        // A full week containing the holiday has 4 × 9 h.
        #expect(office.businessTime(from: berlin(2025, 6, 8), to: berlin(2025, 6, 15)) == 4 * 9 * 3600)
    }

    @Test func multiDayTargetMatchesHandCount() {
        // 72 business hours from Mon 2025-06-02 10:00 = 8 h + 7 × 9 h + 1 h → Thu 2025-06-12 10:00
        // without holidays; with the 06-09 holiday one more day → Fri 06-13 10:00.
        let plain = BusinessCalendar.weekdays(timeZone: "Europe/Berlin")
        #expect(plain.addBusinessTime(72 * 3600, to: berlin(2025, 6, 2, 10)) == berlin(2025, 6, 12, 10))
        #expect(office.addBusinessTime(72 * 3600, to: berlin(2025, 6, 2, 10)) == berlin(2025, 6, 13, 10))
        #expect(office.businessTime(from: berlin(2025, 6, 2, 10), to: berlin(2025, 6, 13, 10)) == 72 * 3600)
    }

    @Test func springForwardInBerlin() {
        // Open every day 09–18. Sat 2025-03-29 17:00 CET (16:00Z) + 2 h → Sun 03-30 10:00 CEST (08:00Z).
        let daily = BusinessCalendar(timeZoneIdentifier: "Europe/Berlin",
                                     weeklyHours: Weekday.allCases.map { OpeningHours($0, from: 9, to: 18) })
        let end = daily.addBusinessTime(7200, to: utc(2025, 3, 29, 16))
        #expect(end == utc(2025, 3, 30, 8))
        #expect(end.timeIntervalSince(utc(2025, 3, 29, 16)) == 16 * 3600) // the night was an hour short
        #expect(daily.businessTime(from: utc(2025, 3, 29, 16), to: utc(2025, 3, 30, 8)) == 7200)
        // Open around the clock in Berlin: the DST days have 23 h and 25 h.
        let allDay = BusinessCalendar(timeZoneIdentifier: "Europe/Berlin",
                                      weeklyHours: Weekday.allCases.map { OpeningHours($0, from: 0, to: 24) })
        #expect(allDay.businessTime(from: berlin(2025, 3, 30), to: berlin(2025, 3, 31)) == 23 * 3600)
        #expect(allDay.businessTime(from: berlin(2025, 10, 26), to: berlin(2025, 10, 27)) == 25 * 3600)
    }

    @Test func reversedIntervalIsNegativeAndAlwaysOpenIsWallClock() {
        #expect(office.businessTime(from: berlin(2025, 6, 3, 11), to: berlin(2025, 6, 3, 10)) == -3600)
        let always = BusinessCalendar.alwaysOpen
        #expect(always.addBusinessTime(90_000, to: monday) == monday.addingTimeInterval(90_000))
        #expect(always.businessTime(from: monday, to: monday.addingTimeInterval(123)) == 123)
    }

    @Test func neverOpenCalendarIsBounded() {
        let never = BusinessCalendar(timeZoneIdentifier: "UTC", weeklyHours: [])
        #expect(never.addBusinessTime(60, to: monday) == .distantFuture)
        #expect(never.businessTime(from: monday, to: monday.addingTimeInterval(86_400 * 30)) == 0)
    }

    @Test func validationAndJSON() throws {
        let data = try JSONEncoder().encode(office)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""time_zone":"Europe\/Berlin""#) || text.contains(#""time_zone":"Europe/Berlin""#))
        #expect(text.contains(#""holidays":["2025-06-09"]"#))
        #expect(try JSONDecoder().decode(BusinessCalendar.self, from: data) == office)
        #expect(try office.validated() == office)
        expectDomainError("invalid_field", field: "time_zone") {
            _ = try BusinessCalendar(timeZoneIdentifier: "Mars/Olympus", weeklyHours: []).validated()
        }
        expectDomainError("invalid_field", field: "weekly_hours[0]") {
            _ = try BusinessCalendar(timeZoneIdentifier: "UTC",
                                     weeklyHours: [OpeningHours(weekday: .monday, startMinute: 600, endMinute: 500)]).validated()
        }
    }
}

@Suite struct SLATests {
    /// Region eu-west works Berlin office hours; everyone else is always open.
    var policy: DomainPolicy {
        var p = DomainPolicy.defaults
        p.sla.calendars["eu-west"] = .weekdays(from: 9, to: 18, timeZone: "Europe/Berlin")
        return p
    }

    @Test func targetsPerUrgencyAndOverrides() {
        let sla = SLAPolicy.defaults
        #expect(sla.target(urgency: .red, category: .refund, tier: .standard, channel: .email)
            == SLATarget(firstResponse: 300, resolution: 4 * 3600))
        #expect(sla.target(urgency: .green, category: .refund, tier: .standard, channel: .chat).firstResponse == 300)
        #expect(sla.target(urgency: .green, category: .refund, tier: .standard, channel: .phone).firstResponse == 120)
        var custom = sla
        custom.overrides.append(SLAOverride(category: .repair, tier: .vip, resolution: 48 * 3600))
        #expect(custom.target(urgency: .green, category: .repair, tier: .vip, channel: .email).resolution == 48 * 3600)
        #expect(custom.target(urgency: .green, category: .repair, tier: .standard, channel: .email).resolution == 72 * 3600)
    }

    @Test func dueDatesUseTheRegionCalendar() throws {
        let t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: berlin(2025, 6, 2, 10), policy: policy)
        #expect(t.urgency == .green)
        #expect(t.sla.firstResponseDue == berlin(2025, 6, 2, 14))
        #expect(t.sla.resolutionDue == berlin(2025, 6, 12, 10))
        let us = try Ticket.create(id: "T-2", draft: sampleDraft(region: "us-east"), by: intake, at: monday, policy: policy)
        #expect(us.sla.firstResponseDue == monday.addingTimeInterval(4 * 3600))
    }

    @Test func waitingOnCustomerPausesResolutionClock() throws {
        let p = policy
        var t = try Ticket.create(id: "T-1", draft: sampleDraft(), by: intake, at: berlin(2025, 6, 2, 10), policy: p)
        _ = try t.apply(.offer(agentID: "a1", expiresAt: berlin(2025, 6, 2, 10, 6)), by: .system, at: berlin(2025, 6, 2, 10, 5), policy: p)
        _ = try t.apply(.acceptOffer(agentID: "a1"), by: .agent("a1"), at: berlin(2025, 6, 2, 10, 5), policy: p)
        _ = try t.apply(.startWork, by: .agent("a1"), at: berlin(2025, 6, 2, 10, 6), policy: p)
        _ = try t.apply(.requestCustomerInfo(question: "Photo of the damage?"), by: .agent("a1"), at: berlin(2025, 6, 2, 17), policy: p)
        #expect(t.sla.isPaused)
        #expect(t.status == .waitingOnCustomer)
        // While paused the resolution clock cannot breach, however long the customer takes.
        _ = try t.apply(.slaCheck, by: .system, at: berlin(2025, 6, 20, 12), policy: p)
        #expect(!t.sla.resolutionBreached)
        var early = t
        // Reply next day 11:00: paused 1 h Monday + 2 h Tuesday = 3 business hours.
        _ = try t.apply(.customerReply(text: "Here it is"), by: customer, at: berlin(2025, 6, 3, 11), policy: p)
        #expect(t.status == .inProgress)
        #expect(!t.sla.isPaused)
        #expect(t.sla.totalPaused == 3 * 3600)
        #expect(t.sla.resolutionDue == berlin(2025, 6, 12, 13))
        #expect(t.sla.firstResponseDue == berlin(2025, 6, 2, 14)) // first-response clock never shifts
        // A reply over the weekend counts only business time paused.
        _ = try early.apply(.customerReply(text: "late"), by: customer, at: berlin(2025, 6, 7, 12), policy: p)
        #expect(early.sla.totalPaused == (1 + 4 * 9) * 3600)
    }

    @Test func lateFirstResponseAndResolutionAreBreaches() throws {
        var clock = ManualClock(monday)
        var t = try Ticket.create(id: "T-1", draft: sampleDraft(channel: .chat), by: intake, at: clock.now, policy: .defaults)
        #expect(t.sla.firstResponseDue == monday.addingTimeInterval(300)) // chat: 5 minutes
        clock.advance(301)
        _ = try t.apply(.offer(agentID: "a1", expiresAt: clock.now.addingTimeInterval(30)), by: .system, at: clock.now, policy: .defaults)
        let effects = try t.apply(.acceptOffer(agentID: "a1"), by: .agent("a1"), at: clock.now, policy: .defaults)
        #expect(effects == [.startLease(agentID: "a1", epoch: t.epoch), .slaBreached(.firstResponse)])
        #expect(t.sla.firstResponseBreached)
        #expect(t.firstResponseAt == clock.now)
        clock.advance(23 * 3600) // yellow chat: resolution 24 h, still on time
        _ = try t.apply(.resolve(note: ""), by: .agent("a1"), at: clock.now, policy: .defaults)
        #expect(!t.sla.resolutionBreached)
    }
}
