import Foundation

/// Lifeguard's dynamic suspicion timeout: it starts at the maximum and shrinks logarithmically
/// towards the minimum as independent confirmations arrive, so a real failure is declared fast
/// while a lone, possibly unhealthy, suspector waits long enough for a refutation.
struct SWIMSuspicion: Hashable, Sendable {
    var startedAt: SWIMTime
    /// Members that suspected independently; the first is the one that started the suspicion.
    var suspectors: [SWIMNodeID]
    /// K: confirmations after which the timeout is at its minimum (0 in clusters too small to gather them).
    var expectedConfirmations: Int
    var minimumNanoseconds: Int64
    var maximumNanoseconds: Int64

    init(startedAt: SWIMTime, by suspector: SWIMNodeID, expectedConfirmations: Int, minimumNanoseconds: Int64, maximumNanoseconds: Int64) {
        self.startedAt = startedAt
        self.suspectors = [suspector]
        self.expectedConfirmations = expectedConfirmations
        self.minimumNanoseconds = minimumNanoseconds
        self.maximumNanoseconds = maximumNanoseconds
    }

    /// Confirmations beyond the first suspector, capped at K.
    var confirmations: Int {
        min(suspectors.count - 1, expectedConfirmations)
    }

    var deadline: SWIMTime {
        startedAt.advanced(byNanoseconds: Self.timeout(
            confirmations: confirmations, expected: expectedConfirmations,
            minimum: minimumNanoseconds, maximum: maximumNanoseconds))
    }

    /// Adds an independent suspector; false when it was already counted.
    mutating func confirm(by suspector: SWIMNodeID) -> Bool {
        if suspectors.contains(suspector) { return false }
        if suspectors.count > expectedConfirmations { return false }  // already at the minimum
        suspectors.append(suspector)
        return true
    }

    /// `max(min, max − (max − min) · log(c + 1) / log(K + 1))` (Lifeguard, §IV-B; memberlist's suspicion.go).
    static func timeout(confirmations: Int, expected: Int, minimum: Int64, maximum: Int64) -> Int64 {
        guard expected > 0, maximum > minimum else { return minimum }
        let fraction = log(Double(confirmations + 1)) / log(Double(expected + 1))
        let timeout = Double(maximum) - Double(maximum - minimum) * fraction
        return max(minimum, Int64(timeout.rounded(.down)))
    }

    /// The bounds for a cluster of `clusterSize` members: minimum `α · max(1, log10 n) · probeInterval`,
    /// maximum `β ·` minimum; K drops to 0 when fewer than K + 2 members could confirm.
    static func bounds(clusterSize: Int, configuration: SWIMConfiguration) -> (minimum: Int64, maximum: Int64, expected: Int) {
        let scale = max(1.0, log10(Double(max(1, clusterSize))))
        let minimum = Int64(configuration.suspicionMinMultiplier * scale * Double(configuration.probeInterval.nanosecondsClamped))
        let maximum = Int64(configuration.suspicionMaxMultiplier * Double(minimum))
        let expected = clusterSize - 2 < configuration.suspicionConfirmations ? 0 : configuration.suspicionConfirmations
        return (minimum, max(minimum, maximum), expected)
    }
}
