import RingdeskShard

/// The ticket shards' and the routing domain's results cross nodes with their own codecs.
extension TicketShardMachine: ForwardableStateMachine {
    public static func encodeResult(_ result: TicketLogResult) -> [UInt8] { result.encoded }
    public static func decodeResult(_ bytes: [UInt8]) throws -> TicketLogResult { try TicketLogResult(encoded: bytes) }
}

extension RoutingDomainMachine: ForwardableStateMachine {
    public static func encodeResult(_ result: RoutingDomainResult) -> [UInt8] { result.encoded }
    public static func decodeResult(_ bytes: [UInt8]) throws -> RoutingDomainResult { try RoutingDomainResult(encoded: bytes) }
}
