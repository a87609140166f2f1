import RingdeskPrimitives

/// A member's identity: stable across restarts of the same node, so a restarted node refutes its
/// old death with a higher incarnation instead of appearing as a stranger.
public struct SWIMNodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// A 64-bit FNV-1a hash of a node name, for shells that identify nodes by configured names.
    public init(stableHashOf name: String) {
        self.rawValue = FNV1a.hash(name)
    }

    public static func < (lhs: SWIMNodeID, rhs: SWIMNodeID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String {
        "node#\(rawValue)"
    }
}
