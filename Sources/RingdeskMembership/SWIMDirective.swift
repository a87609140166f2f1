/// What the owner of a `SWIMInstance` must do after an event.
public enum SWIMDirective: Hashable, Sendable {
    /// Send a message. `deadline` is when the core stops caring about the answer; the shell may
    /// cancel the request then.
    case send(SWIMMessage, to: SWIMTarget, deadline: SWIMTime?)
    /// The local view of a member changed (status, incarnation or metadata).
    case membershipChanged(SWIMMembershipChange)
}

/// Where a message goes: a member (the shell finds its address in the member's metadata) or a
/// configured seed address (join and re-join, before the seed's identity is known).
public enum SWIMTarget: Hashable, Sendable {
    case member(SWIMNodeID)
    case seed(String)
}

/// A change in the local view of one member.
public struct SWIMMembershipChange: Hashable, Sendable {
    public var member: SWIMMember
    /// Nil when the member was not known before.
    public var previousStatus: SWIMStatus?
    /// Why the view changed.
    public var cause: Cause

    public enum Cause: Hashable, Sendable {
        /// The local node decided it (its own probe failed or its suspicion timer expired).
        case localDetection
        /// Learnt from gossip or a full-state sync.
        case gossip
    }

    public init(member: SWIMMember, previousStatus: SWIMStatus?, cause: Cause) {
        self.member = member
        self.previousStatus = previousStatus
        self.cause = cause
    }
}
