/// A protocol message between two members. Every kind can carry piggybacked updates.
public struct SWIMMessage: Hashable, Sendable {
    public var sender: SWIMNodeID
    public var kind: Kind
    public var updates: [SWIMUpdate]

    public init(sender: SWIMNodeID, kind: Kind, updates: [SWIMUpdate] = []) {
        self.sender = sender
        self.kind = kind
        self.updates = updates
    }

    public enum Kind: Hashable, Sendable {
        /// Direct probe; `target` lets a receiver ignore a probe meant for a previous owner of its address.
        case ping(sequence: UInt32, target: SWIMNodeID)
        /// Ask the receiver to probe `target` on the sender's behalf (indirect probe).
        case pingRequest(sequence: UInt32, target: SWIMNodeID)
        /// `target` answered the probe with this sequence number (directly or through a helper).
        case ack(sequence: UInt32, target: SWIMNodeID)
        /// Lifeguard: a helper could not reach `target` in time; proves the requester's own link works.
        case nack(sequence: UInt32, target: SWIMNodeID)
        /// Periodic gossip to random peers: only the piggybacked updates.
        case gossip
        /// Full-state sync (anti-entropy, join and re-join).
        case pushPull(SWIMPushPull)
    }
}

/// A full-state exchange: the request carries the sender's state, the response the receiver's.
public struct SWIMPushPull: Hashable, Sendable {
    public var isResponse: Bool
    /// Sent by a node that is joining or re-joining (through a seed or a member it believes dead).
    public var isJoin: Bool
    public var members: [SWIMMemberRecord]

    public init(isResponse: Bool, isJoin: Bool, members: [SWIMMemberRecord]) {
        self.isResponse = isResponse
        self.isJoin = isJoin
        self.members = members
    }
}
