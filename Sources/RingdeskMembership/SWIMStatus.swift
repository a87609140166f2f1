/// A member's status as one node sees it.
public enum SWIMStatus: UInt8, Hashable, Sendable, CustomStringConvertible {
    case alive = 1
    /// Failed a probe; becomes dead unless it refutes (a higher incarnation) before the suspicion timeout.
    case suspect = 2
    /// Declared failed; comes back only with a higher incarnation.
    case dead = 3
    /// Left gracefully; comes back only with a higher incarnation.
    case left = 4

    /// Alive and suspect members are probed and gossiped to; dead and left ones are not.
    public var isLive: Bool {
        self == .alive || self == .suspect
    }

    public var description: String {
        switch self {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        case .left: "left"
        }
    }
}
