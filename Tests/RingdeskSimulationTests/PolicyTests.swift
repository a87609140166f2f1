import Foundation
import RingdeskDomain
import RingdeskRouting
import Testing
@testable import RingdeskSimulation

@Suite("Baseline policies")
struct BaselinePolicyTests {
    @Test func fifoRoundRobinCyclesThroughAgents() throws {
        let trace = Trace(name: "rr", agents: [Tiny.agent("a"), Tiny.agent("b"), Tiny.agent("c")], tickets: [
            Tiny.ticket("t1", at: 0), Tiny.ticket("t2", at: 0), Tiny.ticket("t3", at: 0), Tiny.ticket("t4", at: 10),
        ])
        var policy = BaselinePolicy.fifoRoundRobin(trace)
        let result = try Tiny.assignments(trace, &policy)
        #expect(Tiny.agentsOf(result) == ["t1": "a", "t2": "b", "t3": "c", "t4": "a"])
        #expect(result["t4"]?.1 == 300)
    }

    @Test func roundRobinAndLongestIdlePickDifferentAgents() throws {
        let trace = Trace(name: "idle", agents: [Tiny.agent("a"), Tiny.agent("b")], tickets: [
            Tiny.ticket("t1", at: 0, handling: 100), Tiny.ticket("t2", at: 50, handling: 10), Tiny.ticket("t3", at: 200),
        ])
        var fifo = BaselinePolicy.fifoRoundRobin(trace)
        var idle = BaselinePolicy.longestIdle(trace)
        #expect(Tiny.agentsOf(try Tiny.assignments(trace, &fifo)) == ["t1": "a", "t2": "b", "t3": "a"])
        // b has been idle since 60, a only since 100.
        #expect(Tiny.agentsOf(try Tiny.assignments(trace, &idle)) == ["t1": "a", "t2": "b", "t3": "b"])
    }

    @Test func oldestServableTicketFirstAndStrictSkills() throws {
        let trace = Trace(name: "strict", agents: [Tiny.agent("novice", skills: ["returns": 2])], tickets: [
            Tiny.ticket("hard", at: 0, minLevel: 3), Tiny.ticket("old", at: 5), Tiny.ticket("new", at: 6),
            Tiny.ticket("german", at: 1, language: "de"),
        ])
        for var policy in [BaselinePolicy.fifoRoundRobin(trace), BaselinePolicy.longestIdle(trace)] {
            let result = try Tiny.assignments(trace, &policy)
            #expect(result["old"]?.1 == 5)
            #expect(result["new"]?.1 == 305)
            #expect(result["hard"] == nil)
            #expect(result["german"] == nil)
        }
    }

    @Test func offShiftAgentsFinishButTakeNothingNew() throws {
        let trace = Trace(name: "shift", agents: [Tiny.agent("a", shifts: [Shift(0, 100), Shift(1000, 2000)])], tickets: [
            Tiny.ticket("t1", at: 50, handling: 300), Tiny.ticket("t2", at: 60),
        ])
        var policy = BaselinePolicy.fifoRoundRobin(trace)
        let result = try Tiny.assignments(trace, &policy)
        #expect(result["t1"]?.1 == 50)
        #expect(result["t2"]?.1 == 1000)
    }
}

@Suite("Quality metrics")
struct MetricsTests {
    @Test func handComputedCase() throws {
        let trace = Trace(name: "metrics", agents: [Tiny.agent("a", region: "eu-west")], tickets: [
            Tiny.ticket("t1", at: 0, handling: 600, urgency: .red, minLevel: 2),
            Tiny.ticket("t2", at: 0, handling: 600, urgency: .red, minLevel: 3, region: "us-east"),
            Tiny.ticket("t3", at: 0, handling: 600, urgency: .green, language: "fr"),  // nobody speaks French
        ])
        var policy = BaselinePolicy.fifoRoundRobin(trace)
        let outcome = try Simulator(trace: trace).run(&policy)
        let m = QualityMetrics(trace: trace, outcome: outcome)
        #expect(m.started == 2)
        #expect(m.meanWait == (0 + 600 + 3600) / 3.0)  // t3 waits until the horizon (3600)
        #expect(m.p90Wait == 3600)
        #expect(m.redP90Wait == 600)
        #expect(m.firstResponseMet == 1)
        #expect(m.firstResponseByUrgency == ["red": 0.5, "green": 0])
        #expect(abs(m.resolutionAttainment - 2.0 / 3) < 1e-12)
        #expect(m.skillFit == 1)
        #expect(m.meanLevelExcess == 0.5)  // 3-2 and 3-3
        #expect(m.crossRegionShare == 0.5)
        #expect(abs(m.meanUtilisation - 1200.0 / 3600) < 1e-12)
        #expect(m.utilisationSpread == 0)
    }

    @Test func percentileIsNearestRank() {
        #expect(QualityMetrics.percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 0.9) == 9)
        #expect(QualityMetrics.percentile([], 0.9) == 0)
        #expect(QualityMetrics.percentile([3], 0.9) == 3)
    }
}

@Suite("Simulator invariants")
struct InvariantTests {
    @Test(arguments: Scenario.allCases)
    func everyPolicyRespectsCapacityShiftsAndEligibility(_ scenario: Scenario) throws {
        let trace = scenario.trace(seed: 11, scale: 0.25)
        let comparison = PolicyComparison(trace: trace)
        for kind in PolicyKind.allCases {
            let (metrics, outcome) = try comparison.run(kind)
            for (a, agent) in trace.agents.enumerated() { #expect(outcome.peakLoad[a] <= agent.capacity) }
            for (i, ticket) in trace.tickets.enumerated() {
                guard let start = outcome.start[i], let a = outcome.agent[i] else { continue }
                let agent = trace.agents[a]
                #expect(start >= ticket.arrival)
                #expect(agent.shifts.contains { $0.start <= start && start < $0.end })
                if [.engine, .edf, .edfShortestHandling].contains(kind) {
                    #expect(Eligibility.canServe(agent, ticket, proficiencyRelaxation: 1))
                } else {
                    #expect(Eligibility.strict(agent, ticket))
                }
            }
            #expect(metrics.started <= trace.tickets.count)
        }
    }

    @Test func aPolicyAssigningABusyAgentIsCaught() throws {
        struct Greedy: RoutingPolicy {
            var name = "greedy"
            var waiting: [Int] = []
            var nextWakeUp: Double? { nil }
            mutating func ticketArrived(_ ticket: Int, at now: Double) { waiting.append(ticket) }
            mutating func agentOnShift(_ agent: Int, at now: Double) {}
            mutating func agentOffShift(_ agent: Int, at now: Double) {}
            mutating func workFinished(ticket: Int, agent: Int, at now: Double) {}
            mutating func assignments(_ view: SimulationView) -> [Assignment] {
                defer { waiting = [] }
                return waiting.map { Assignment(ticket: $0, agent: 0) }
            }
        }
        let trace = Trace(name: "bad", agents: [Tiny.agent("a")], tickets: [Tiny.ticket("t1", at: 0), Tiny.ticket("t2", at: 0)])
        var policy = Greedy()
        #expect(throws: SimulationError.self) { try Simulator(trace: trace).run(&policy) }
    }
}

@Suite("Engine policy")
struct EnginePolicyTests {
    @Test func drivesTheEngineThroughASmallScenario() throws {
        let trace = Scenario.normal.trace(seed: 5, scale: 0.25)
        var policy = try EnginePolicy(trace: trace)
        let outcome = try Simulator(trace: trace).run(&policy)
        let metrics = QualityMetrics(trace: trace, outcome: outcome)
        let fifo = try PolicyComparison(trace: trace).run(.fifo).metrics
        #expect(metrics.started > trace.tickets.count * 9 / 10)
        #expect(metrics.firstResponseByUrgency["red"]! >= fifo.firstResponseByUrgency["red"]!)
        #expect(policy.levelCounts.values.reduce(0, +) == metrics.started)
        #expect(policy.engine.queuedCount == trace.tickets.count - metrics.started)
        #expect(policy.reviewed == 0)
    }

    @Test func rejectionsAndAcceptDelayAreSimulated() throws {
        let trace = Trace(name: "reject", agents: ["a", "b", "c", "d"].map { Tiny.agent($0) }, tickets: (0..<10).map {
            Tiny.ticket("t\($0)", at: Double($0) * 30, handling: 60)
        })
        var policy = try EnginePolicy(trace: trace, options: .init(acceptDelay: 5, rejectProbability: 0.3, seed: 9))
        let outcome = try Simulator(trace: trace).run(&policy)
        #expect(policy.rejections > 0)
        // A ticket every eligible agent rejected is started later, waits, or went to review.
        #expect(outcome.start.compactMap { $0 }.count + policy.engine.queuedCount + policy.reviewed == trace.tickets.count)
        for (i, ticket) in trace.tickets.enumerated() {
            if let start = outcome.start[i] { #expect(start >= ticket.arrival + 5) }
        }
    }

    @Test func redGoesFirstUnderTheEngine() throws {
        let trace = Trace(name: "red", agents: [Tiny.agent("a", shifts: [Shift(10, 3600)])], tickets: [
            Tiny.ticket("green", at: 0, urgency: .green), Tiny.ticket("red", at: 5, urgency: .red),
        ])
        var policy = try EnginePolicy(trace: trace)
        let result = try Tiny.assignments(trace, &policy)
        #expect(result["red"]?.1 == 10)
        #expect(result["green"]?.1 == 310)
    }
}

/// Issue 17: agents who reject, leave offers unanswered and let leases lapse, and the
/// idle-eligible waiting they must not cause.
@Suite("Agent behaviour and idle-eligible waiting")
struct BehaviourTests {
    static func behaving(_ trace: Trace, reject: Double = 0.10, unanswered: Double = 0.05, leaseLapse: Double = 0) -> Trace {
        var trace = trace
        for index in trace.agents.indices {
            trace.agents[index].behaviour = AgentBehaviour(reject: reject, unanswered: unanswered, leaseLapse: leaseLapse)
        }
        return trace
    }

    @Test func unansweredOffersExpireAndGoToSomeoneElse() throws {
        var silent = Tiny.agent("silent")
        silent.behaviour = AgentBehaviour(unanswered: 1)
        let trace = Trace(name: "silent", agents: [silent, Tiny.agent("b", shifts: [Shift(10, 3600)])],
                          tickets: [Tiny.ticket("t", at: 0)])
        var policy = try EnginePolicy(trace: trace)
        let result = try Tiny.assignments(trace, &policy)
        #expect(result["t"]?.0 == "b")
        #expect(result["t"]?.1 == 30)  // offer_timeout
        #expect(policy.counters["unanswered"] == 1 && policy.counters["offers_expired"] == 1)
    }

    @Test func aLapsedLeaseBringsTheTicketBackUnstarted() throws {
        var flaky = Tiny.agent("flaky", shifts: [Shift(0, 500)])
        flaky.behaviour = AgentBehaviour(leaseLapse: 1)
        let trace = Trace(name: "lapse", agents: [flaky, Tiny.agent("b", shifts: [Shift(100, 3600)])],
                          tickets: [Tiny.ticket("t", at: 0, handling: 1200), Tiny.ticket("u", at: 100, handling: 1200)])
        var policy = try EnginePolicy(trace: trace)
        let result = try Tiny.assignments(trace, &policy)
        #expect(result["u"]?.0 == "b" && result["u"]?.1 == 100)
        // flaky accepted t at 0 and left at 500; the lease (600 s) lapsed unrenewed at 600; b, renewing
        // its own lease on u all along, is free again at 1300 and takes t.
        #expect(result["t"]?.0 == "b")
        #expect(result["t"]?.1 == 1300)
        #expect(policy.counters["leases_lapsed", default: 0] >= 1)
    }

    @Test func perfectAgentsLeaveTheEngineRunUnchanged() throws {
        let trace = Scenario.normal.trace(seed: 5, scale: 0.25)
        var encoded = try Trace.decode(trace.encoded())
        #expect(encoded == trace)
        encoded = Self.behaving(trace)
        #expect(try Trace.decode(encoded.encoded()) == encoded)
        #expect(String(decoding: try trace.encoded(), as: UTF8.self).contains("behaviour") == false)
    }

    @Test func invalidBehaviourIsRefusedWithItsPath() throws {
        var agent = Tiny.agent("a")
        agent.behaviour = AgentBehaviour(reject: 0.7, unanswered: 0.5)
        let error = #expect(throws: SimulationError.self) { try Trace(name: "bad", agents: [agent], tickets: []).validate() }
        #expect(error?.field == "agents[0].behaviour")
    }

    /// The target on a small day: with 10% rejects and 5% unanswered offers, idle-eligible
    /// waiting p99 is within the service's tick (5 s), nobody starves behind an excluded head, and
    /// first-response attainment falls by at most 2 pp. (Not zero everywhere: a ticket that relaxed
    /// behind a fresh head its agent may not take yet waits for the head's next step, ≤ 40 s.)
    @Test(arguments: Scenario.allCases)
    func behavingAgentsCauseNoIdleEligibleWaiting(_ scenario: Scenario) throws {
        let perfect = scenario.trace(seed: 3, scale: 0.25)
        let behaving = Self.behaving(perfect)
        let a = try PolicyComparison(trace: perfect).run(.engine).metrics
        let b = try PolicyComparison(trace: behaving).run(.engine).metrics
        #expect((b.counters?["rejected"] ?? 0) > 0 && (b.counters?["unanswered"] ?? 0) > 0)
        #expect(b.starvedBehindExcludedHead == 0)
        #expect(try #require(b.idleEligibleP99) <= 5)
        #expect(a.starvedBehindExcludedHead == 0)
        #expect(try #require(a.idleEligibleP99) <= 5)
        #expect(a.firstResponseAttainment - b.firstResponseAttainment <= 0.02)
    }

    @Test func theSimulatorCountsIdleEligibleWaiting() throws {
        /// Reports every waiting ticket as idle-eligible and never assigns anything.
        struct Idler: RoutingPolicy {
            var name = "idler"
            var waiting: [Int] = []
            var nextWakeUp: Double? { nil }
            mutating func ticketArrived(_ ticket: Int, at now: Double) { waiting.append(ticket) }
            mutating func agentOnShift(_ agent: Int, at now: Double) {}
            mutating func agentOffShift(_ agent: Int, at now: Double) {}
            mutating func workFinished(ticket: Int, agent: Int, at now: Double) {}
            mutating func assignments(_ view: SimulationView) -> [Assignment] { [] }
            mutating func idleEligible(at now: Double) -> [IdleEligible]? {
                waiting.map { IdleEligible(ticket: $0, behindExcludedHead: $0 == 1) }
            }
        }
        let trace = Trace(name: "idle", agents: [Tiny.agent("a", shifts: [Shift(0, 1000)])],
                          tickets: [Tiny.ticket("t0", at: 0), Tiny.ticket("t1", at: 400)])
        var policy = Idler()
        let outcome = try Simulator(trace: trace).run(&policy)
        #expect(outcome.idleEligibleWait == [1000, 600])
        let metrics = QualityMetrics(trace: trace, outcome: outcome)
        #expect(metrics.starvedBehindExcludedHead == 1)
        #expect(metrics.idleEligibleP99 == 1000 && metrics.idleEligibleP50 == 600)
    }
}
