@_exported import struct RingdeskPrimitives.SplitMix64

/// The domain's name for the project's one seeded generator (`SplitMix64`, in the zero-dependency
/// `RingdeskPrimitives`): a load run's mix and arrivals, a simulated scenario or a randomised test
/// replays exactly from its seed on every platform.
public typealias SeededGenerator = SplitMix64
