import Foundation

/// Which tickets `listTickets` returns, in which order, and from where (keyset paging).
///
/// Empty or nil fields do not filter. Pages are ordered by `(createdAt, id)`, so walking pages with
/// `nextCursor` visits every matching ticket exactly once even while others are written.
public struct TicketFilter: Sendable, Hashable {
    public enum Order: Sendable, Hashable {
        case oldestFirst
        case newestFirst
    }

    /// Allowed page sizes.
    public static let limits: ClosedRange<Int> = 1...500

    /// Any of these statuses (empty: any status).
    public var statuses: [String] = []
    public var urgency: String?
    public var region: String?
    public var category: String?
    public var channel: String?
    public var agentID: String?
    public var customerID: String?
    /// The queue the ticket is in (a department queue, or the supervisors' review queue).
    public var queue: String?
    /// Inclusive lower bound on `createdAt` (seconds since 1970).
    public var createdFrom: Double?
    /// Exclusive upper bound on `createdAt` (seconds since 1970).
    public var createdBefore: Double?
    public var order: Order = .oldestFirst
    /// Page size, within `TicketFilter.limits`.
    public var limit: Int = 100
    /// The `nextCursor` of the previous page; nil for the first page. Opaque to clients.
    public var cursor: String?

    public init() {}
}

/// One page of `listTickets`.
public struct TicketPage: Sendable, Hashable {
    public var tickets: [TicketRow]
    /// Pass as `TicketFilter.cursor` to get the next page; nil when this page is the last.
    public var nextCursor: String?

    public init(tickets: [TicketRow], nextCursor: String?) {
        self.tickets = tickets
        self.nextCursor = nextCursor
    }
}

/// The paging key behind the opaque cursor string: the last row's `(createdAt, id)`.
public struct TicketCursor: Hashable, Sendable {
    public var createdAt: Double
    public var id: String

    private static let prefix = "c1:"

    /// Base64url of `c1:<createdAt bit pattern in hex>:<id>`: exact for every Double, opaque to clients.
    public var encoded: String {
        let plain = Self.prefix + String(createdAt.bitPattern, radix: 16) + ":" + id
        return Data(plain.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init(createdAt: Double, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    public init(encoded: String) throws(StorageError) {
        let invalid = StorageError(code: .invalidArgument, message: "invalid cursor")
        var base64 = encoded
            .replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
              let plain = String(data: data, encoding: .utf8),
              plain.hasPrefix(Self.prefix)
        else { throw invalid }
        let rest = plain.dropFirst(Self.prefix.count)
        guard let colon = rest.firstIndex(of: ":"),
              let bits = UInt64(rest[..<colon], radix: 16)
        else { throw invalid }
        let createdAt = Double(bitPattern: bits)
        guard createdAt.isFinite else { throw invalid }
        self.init(createdAt: createdAt, id: String(rest[rest.index(after: colon)...]))
    }
}
