import RingdeskPrimitives

/// The SWIM core's only source of randomness: the project's seeded generator, so a simulation
/// replays. The seed is scrambled first: nearby seeds (node numbers) must not give shifted copies
/// of one stream, or the nodes' "random" choices would be correlated.
struct SWIMRandom: RandomNumberGenerator, Sendable {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: SplitMix64.mix(seed))
    }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int { generator.below(bound) }

    /// Uniform in `0..<bound` nanoseconds (bound > 0), used to spread timers.
    mutating func jitter(_ bound: Int64) -> Int64 {
        bound > 0 ? Int64(below(Int(bound))) : 0
    }
}
