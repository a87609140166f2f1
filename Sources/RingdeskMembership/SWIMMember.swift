/// A read-only snapshot of one member as the local node sees it.
public struct SWIMMember: Hashable, Sendable {
    public var id: SWIMNodeID
    public var status: SWIMStatus
    public var incarnation: UInt64
    public var metadata: SWIMNodeMetadata
    /// Opaque application bytes (presence or queue summaries), at most `maxPayloadBytes`.
    public var payload: [UInt8]

    public init(id: SWIMNodeID, status: SWIMStatus, incarnation: UInt64, metadata: SWIMNodeMetadata, payload: [UInt8] = []) {
        self.id = id
        self.status = status
        self.incarnation = incarnation
        self.metadata = metadata
        self.payload = payload
    }
}
