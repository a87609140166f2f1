import Foundation
import RingdeskDomain
import Testing
@testable import RingdeskSimulation

@Suite("Deadline baselines")
struct DeadlinePolicyTests {
    @Test func earliestDueFirstNotOldestFirst() throws {
        // One agent busy until 300; then the later ticket with the nearer deadline goes first.
        let trace = Trace(name: "edf", agents: [Tiny.agent("a")], tickets: [
            Tiny.ticket("busy", at: 0, handling: 300),
            Tiny.ticket("old", at: 10, firstResponse: 3600), Tiny.ticket("near", at: 20, firstResponse: 600),
        ])
        var edf = DeadlinePolicy.edf(trace, proficiencyRelaxation: 1)
        let result = try Tiny.assignments(trace, &edf)
        #expect(result["near"]?.1 == 300)
        #expect(result["old"]?.1 == 600)
        var fifo = BaselinePolicy.fifoRoundRobin(trace)
        #expect(try Tiny.assignments(trace, &fifo)["old"]?.1 == 300)
    }

    @Test func equalEligibilityServesOneLevelBelowStrictDoesNot() throws {
        let trace = Trace(name: "levels", agents: [Tiny.agent("novice", skills: ["returns": 2])], tickets: [
            Tiny.ticket("hard", at: 0, minLevel: 3),
        ])
        var edf = DeadlinePolicy.edf(trace, proficiencyRelaxation: 1)
        var strict = DeadlinePolicy.edfStrict(trace)
        #expect(try Tiny.assignments(trace, &edf)["hard"]?.0 == "novice")
        #expect(try Tiny.assignments(trace, &strict)["hard"] == nil)
        #expect(edf.eligibility.contains("min_level-1"))
        #expect(strict.eligibility.hasPrefix("strict"))
    }

    @Test func aFullyQualifiedAgentIsPreferred() throws {
        // b has been idle longer but is below the minimum; a meets it.
        let trace = Trace(name: "fit", agents: [
            Tiny.agent("a", skills: ["returns": 3], shifts: [Shift(50, 3600)]), Tiny.agent("b", skills: ["returns": 2]),
        ], tickets: [Tiny.ticket("t", at: 100, minLevel: 3)])
        var edf = DeadlinePolicy.edf(trace, proficiencyRelaxation: 1)
        #expect(try Tiny.assignments(trace, &edf)["t"]?.0 == "a")
    }

    @Test func breachedTicketsGoShortestFirstAfterOnTimeOnes() throws {
        // The agent is busy until 1000: "long" and "short" have breached by then, "fresh" has not.
        let trace = Trace(name: "sht", agents: [Tiny.agent("a", shifts: [Shift(0, 20000)])], tickets: [
            Tiny.ticket("busy", at: 0, handling: 1000),
            Tiny.ticket("long", at: 10, handling: 900, firstResponse: 60),
            Tiny.ticket("short", at: 20, handling: 100, firstResponse: 60),
            Tiny.ticket("fresh", at: 900, handling: 100, firstResponse: 600),
        ])
        var sht = DeadlinePolicy.edfShortestHandling(trace, proficiencyRelaxation: 1)
        let result = try Tiny.assignments(trace, &sht)
        #expect(result["fresh"]?.1 == 1000)
        #expect(result["short"]?.1 == 1100)
        #expect(result["long"]?.1 == 1200)
        var edf = DeadlinePolicy.edf(trace, proficiencyRelaxation: 1)
        let plain = try Tiny.assignments(trace, &edf)
        #expect(plain["long"]?.1 == 1000)  // plain EDF serves the earliest due, breached or not
    }

    @Test func reportsNameEachPolicysEligibility() throws {
        let trace = Scenario.normal.trace(seed: 3, scale: 0.25)
        let comparison = PolicyComparison(trace: trace)
        for kind in PolicyKind.standard {
            let metrics = try comparison.run(kind).metrics
            #expect(metrics.policy == kind.rawValue)
            #expect(!metrics.eligibility.isEmpty)
        }
        #expect(try PolicyKind.list("fifo,fifo-rr,edf-sht") == [.fifo, .fifo, .edfShortestHandling])
        #expect(throws: SimulationError.self) { try PolicyKind.list("edf,nope") }
    }
}
