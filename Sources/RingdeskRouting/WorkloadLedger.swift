/// How busy each agent has been: the integral of its load over the integral of its capacity
/// while available, since it joined, and the same pooled over every agent. Updated after each
/// change of an agent's load or presence at the engine's clock (the latest instant any command
/// carried), so a query costs O(1) and nothing is rescanned.
struct WorkloadLedger: Sendable {
    /// The latest instant a command or `advance` carried; changes are dated by it.
    private(set) var clock: Double = -.infinity

    private var work: [Double] = []
    private var duty: [Double] = []
    private var since: [Double] = []
    /// Load and available capacity in force since `since` (tickets held, all channels).
    private var load: [Int32] = []
    private var capacity: [Int32] = []

    private var poolWork = 0.0
    private var poolDuty = 0.0
    private var poolSince = -Double.infinity
    private var poolLoad: Int64 = 0
    private var poolCapacity: Int64 = 0

    /// Moves the clock forward (never back).
    mutating func note(_ time: Double) {
        if time > clock { clock = time }
    }

    mutating func addAgent() {
        work.append(0)
        duty.append(0)
        since.append(clock)
        load.append(0)
        capacity.append(0)
    }

    /// Records the agent's load and available capacity from now on.
    mutating func update(agent: Int, load newLoad: Int32, availableCapacity newCapacity: Int32) {
        let now = clock
        if poolSince.isFinite, now > poolSince {
            poolWork += Double(poolLoad) * (now - poolSince)
            poolDuty += Double(poolCapacity) * (now - poolSince)
        }
        poolSince = now
        if since[agent].isFinite, now > since[agent] {
            work[agent] += Double(load[agent]) * (now - since[agent])
            duty[agent] += Double(capacity[agent]) * (now - since[agent])
        }
        since[agent] = now
        poolLoad += Int64(newLoad - load[agent])
        poolCapacity += Int64(newCapacity - capacity[agent])
        load[agent] = newLoad
        capacity[agent] = newCapacity
    }

    /// The agent's share of available capacity spent holding tickets so far (0 before any duty).
    func utilisation(agent: Int, at now: Double) -> Double {
        Self.ratio(work: work[agent], duty: duty[agent], load: Double(load[agent]),
                   capacity: Double(capacity[agent]), elapsed: since[agent].isFinite ? now - since[agent] : 0)
    }

    /// The same over every agent together.
    func poolUtilisation(at now: Double) -> Double {
        Self.ratio(work: poolWork, duty: poolDuty, load: Double(poolLoad), capacity: Double(poolCapacity),
                   elapsed: poolSince.isFinite ? now - poolSince : 0)
    }

    private static func ratio(work: Double, duty: Double, load: Double, capacity: Double, elapsed: Double) -> Double {
        let dt = max(0, elapsed)
        let total = duty + capacity * dt
        return total > 0 ? (work + load * dt) / total : 0
    }
}
