/// One piece of membership news, piggybacked on protocol messages and retransmitted a bounded
/// number of times (λ·log n). A newer update about the same member replaces an older one.
public enum SWIMUpdate: Hashable, Sendable {
    /// The member is alive at this incarnation, with its current metadata and payload.
    case alive(SWIMNodeID, incarnation: UInt64, metadata: SWIMNodeMetadata, payload: [UInt8])
    /// `from` failed to reach the member; every distinct `from` is an independent confirmation.
    case suspect(SWIMNodeID, incarnation: UInt64, from: SWIMNodeID)
    /// `from`'s suspicion timer expired.
    case dead(SWIMNodeID, incarnation: UInt64, from: SWIMNodeID)
    /// The member left gracefully.
    case left(SWIMNodeID, incarnation: UInt64)

    /// The member the update is about.
    public var subject: SWIMNodeID {
        switch self {
        case .alive(let id, _, _, _), .suspect(let id, _, _), .dead(let id, _, _), .left(let id, _): id
        }
    }

    public var incarnation: UInt64 {
        switch self {
        case .alive(_, let incarnation, _, _), .suspect(_, let incarnation, _), .dead(_, let incarnation, _),
            .left(_, let incarnation):
            incarnation
        }
    }

    public var status: SWIMStatus {
        switch self {
        case .alive: .alive
        case .suspect: .suspect
        case .dead: .dead
        case .left: .left
        }
    }
}

/// One member in a full-state sync (push-pull): every status carries metadata so a newcomer
/// learns where even dead members live (to reconnect to them after a partition).
public struct SWIMMemberRecord: Hashable, Sendable {
    public var id: SWIMNodeID
    public var status: SWIMStatus
    public var incarnation: UInt64
    public var metadata: SWIMNodeMetadata
    public var payload: [UInt8]

    public init(id: SWIMNodeID, status: SWIMStatus, incarnation: UInt64, metadata: SWIMNodeMetadata, payload: [UInt8]) {
        self.id = id
        self.status = status
        self.incarnation = incarnation
        self.metadata = metadata
        self.payload = payload
    }
}
