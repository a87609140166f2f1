import Foundation

/// One row of `ticket_events`: an append-only history entry of a ticket, ordered by `seq`.
public struct TicketEventRow: Sendable, Hashable {
    public var ticketID: String
    /// Position in the ticket's history; `(ticketID, seq)` is unique.
    public var seq: Int
    /// Seconds since 1970 (UTC).
    public var at: Double
    /// Short event kind (e.g. "created", "assigned"), for listing without decoding `doc`.
    public var kind: String
    /// The caller-encoded event document.
    public var doc: Data

    public init(ticketID: String, seq: Int, at: Double, kind: String, doc: Data) {
        self.ticketID = ticketID
        self.seq = seq
        self.at = at
        self.kind = kind
        self.doc = doc
    }
}
