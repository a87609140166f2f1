/// SplitMix64, seeded by the owner: the core's only source of randomness, so a simulation replays.
struct SWIMRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// The seed is scrambled first: nearby seeds (node numbers) must not give shifted copies of one
    /// stream, or the nodes' "random" choices would be correlated.
    init(seed: UInt64) {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        state = z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<bound` (bound > 0), by Lemire's multiply-shift (bias < 2^-32 for our sizes).
    mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Uniform in `0..<bound` nanoseconds (bound > 0), used to spread timers.
    mutating func jitter(_ bound: Int64) -> Int64 {
        bound > 0 ? Int64(below(Int(bound))) : 0
    }
}
