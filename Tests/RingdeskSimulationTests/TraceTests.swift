import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskSimulation

@Suite("Trace format")
struct TraceTests {
    @Test func roundTripsThroughJSON() throws {
        let trace = Scenario.normal.trace(seed: 3, scale: 0.25)
        let decoded = try Trace.decode(try trace.encoded())
        #expect(decoded == trace)
    }

    @Test func readsTheDocumentedFormatWithDefaults() throws {
        let json = """
        {"agents": [{"id": "a1", "skills": {"returns": 3}, "languages": ["en"], "regions": ["eu-west"],
                     "tier": "l2", "capacity": 2, "shifts": [[0, 3600], [7200, 9000]]}],
         "tickets": [{"id": "t1", "arrival_s": 60, "urgency": "red", "category": "refund", "channel": "email",
                      "region": "eu-west", "language": "en-GB", "tier": "l1",
                      "required_skills": [{"skill": "returns", "min_level": 2}], "handling_s": 300,
                      "preferred_agent": "a1"}]}
        """
        let trace = try Trace.decode(Data(json.utf8))
        #expect(trace.agents[0].shifts == [Shift(0, 3600), Shift(7200, 9000)])
        #expect(trace.agents[0].capacity == 2)
        #expect(trace.tickets[0].firstResponseTarget == 300)  // red default: 5 min
        #expect(trace.tickets[0].resolutionTarget == 4 * 3600)
        #expect(trace.tickets[0].preferredAgent == "a1")
        #expect(trace.horizon == 9000)
    }

    @Test(arguments: [
        (#"{"agents": [], "tickets": [{"id": "t", "arrival_s": -1, "urgency": "red", "region": "r", "language": "en", "handling_s": 5}]}"#, "tickets[0].arrival_s"),
        (#"{"agents": [], "tickets": [{"id": "t", "arrival_s": 1, "urgency": "red", "region": "r", "language": "en", "handling_s": 0}]}"#, "tickets[0].handling_s"),
        (#"{"agents": [{"id": "a", "shifts": [[10, 5]]}], "tickets": []}"#, "agents[0].shifts[0]"),
        (#"{"agents": [{"id": "a", "shifts": [[0, 50], [40, 60]]}], "tickets": []}"#, "agents[0].shifts[1]"),
        (#"{"agents": [{"id": "a", "shifts": []}, {"id": "a", "shifts": []}], "tickets": []}"#, "agents[1].id"),
        (#"{"agents": [{"id": "a", "skills": {"x": 7}, "shifts": []}], "tickets": []}"#, "agents[0].skills.x"),
        (#"{"agents": [], "tickets": [{"id": "t", "arrival_s": 1, "urgency": "red", "region": "r", "language": "en", "handling_s": 5, "preferred_agent": "ghost"}]}"#, "tickets[0].preferred_agent"),
    ])
    func rejectsBadFields(json: String, field: String) {
        #expect(throws: SimulationError.self) { try Trace.decode(Data(json.utf8)) }
        do { _ = try Trace.decode(Data(json.utf8)) } catch let error as SimulationError {
            #expect(error.code == .invalidTrace)
            #expect(error.field == field)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test(arguments: [
        (#"{"agents": [{"id": "a", "shifts": [[0, 9]], "colour": "x"}], "tickets": []}"#, "agents[0].colour"),
        (#"{"agents": [{"id": "a", "shifts": [[0, 9]], "behaviour": {"reject": 0.1, "ignore": 0.1}}], "tickets": []}"#, "agents[0].behaviour.ignore"),
        (#"{"agents": [{"id": "a", "shifts": [[0, 9]]}], "tickets": [{"id": "t", "arrival_s": 1, "urgency": "red", "region": "r", "language": "en", "handling_s": 5, "first_response_target": 60}]}"#, "tickets[0].first_response_target"),
        (#"{"agents": [{"id": "a", "shifts": [[0, 9]]}], "tickets": [{"id": "t", "arrival_s": 1, "urgency": "red", "region": "r", "language": "en", "handling_s": 5, "required_skills": [{"skill": "x", "min_level": 2, "level": 2}]}]}"#, "tickets[0].required_skills[0].level"),
        (#"{"agents": [], "tickets": [], "neighbours": {}}"#, "neighbours"),
        (#"{"agents": [{"id": "a", "shifts": [[0, 9]]}], "tickets": []}"#, "tickets"),
        (#"{"agents": [], "tickets": [{"id": "t", "arrival_s": 1, "urgency": "red", "region": "r", "language": "en", "handling_s": 5}]}"#, "agents"),
    ])
    func refusesUnknownKeysAndEmptyTraces(json: String, field: String) {
        do {
            _ = try Trace.decode(Data(json.utf8))
            Issue.record("accepted \(json)")
        } catch let error as SimulationError {
            #expect(error.code == .invalidTrace)
            #expect(error.field == field)
            if field.contains(".") || field == "neighbours" { #expect(error.message.contains("allowed keys")) }
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func rejectsMalformedJSONWithAPath() {
        let json = #"{"agents": [{"id": "a"}], "tickets": []}"#
        do { _ = try Trace.decode(Data(json.utf8)); Issue.record("accepted") } catch let error as SimulationError {
            #expect(error.code == .invalidTrace)
            #expect(error.message.contains("shifts"))
        } catch { Issue.record("unexpected \(error)") }
    }
}

@Suite("Scenarios")
struct ScenarioTests {
    @Test func sameSeedSameTraceOtherSeedOtherTrace() {
        #expect(Scenario.peak.trace(seed: 7, scale: 0.25) == Scenario.peak.trace(seed: 7, scale: 0.25))
        #expect(Scenario.peak.trace(seed: 7, scale: 0.25).tickets != Scenario.peak.trace(seed: 8, scale: 0.25).tickets)
    }

    @Test func normalDayOffersAboutEightyPercentUtilisation() throws {
        let trace = Scenario.normal.trace(seed: 1)
        let work = trace.tickets.reduce(0) { $0 + $1.handling }
        let capacity = trace.agents.reduce(0) { $0 + Double($1.capacity) * $1.shiftSeconds }
        #expect((0.72...0.86).contains(work / capacity))
        #expect((1500...2100).contains(trace.tickets.count))
        try trace.validate()
    }

    @Test func peakTriplesArrivalsForTwoHours() {
        let trace = Scenario.peak.trace(seed: 1)
        let inPeak = trace.tickets.filter { (7200..<14400).contains($0.arrival) }.count
        let before = trace.tickets.filter { $0.arrival < 7200 }.count
        #expect(Double(inPeak) / Double(before) > 2.4)
        let returns = trace.tickets.filter { (7200..<14400).contains($0.arrival) && ($0.category == .return || $0.category == .refund) }.count
        #expect(Double(returns) / Double(inPeak) > 0.6)
    }

    @Test func outageTakesEuCentralOfflineForAnHour() {
        let trace = Scenario.outage.trace(seed: 1)
        let central = trace.agents.filter { $0.regions == ["eu-central"] }
        #expect(!central.isEmpty)
        #expect(central.allSatisfy { $0.shifts == [Shift(0, 7200), Shift(10800, Scenario.day + 1800)] })
    }

    @Test func scarceHasFewTechniciansAndManyVIPComplaints() {
        let scarce = Scenario.scarce.trace(seed: 1)
        let normal = Scenario.normal.trace(seed: 1)
        let technicians = { (t: Trace) in t.agents.filter { $0.skills["repairs"] != nil }.count }
        #expect(technicians(scarce) < technicians(normal))
        let vip = scarce.tickets.filter { $0.category == .complaint && $0.tier == .l2 }.count
        #expect(Double(vip) / Double(scarce.tickets.count) > 0.1)
    }
}
