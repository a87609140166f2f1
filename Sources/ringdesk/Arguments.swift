import ArgumentParser
import Foundation
import RingdeskAPI
import RingdeskDomain

// Domain enums as option values: their raw values are the accepted words, and ArgumentParser
// lists them in help and shell completion.
extension TicketCategory: ExpressibleByArgument {}
extension Channel: ExpressibleByArgument {}
extension CustomerTier: ExpressibleByArgument {}
extension Urgency: ExpressibleByArgument {}
extension SupportTier: ExpressibleByArgument {}
extension Presence: ExpressibleByArgument {}
extension TicketActor.Kind: ExpressibleByArgument {}

/// `NAME:LEVEL`, a required skill or an agent skill (level 1…5).
struct SkillArgument: ExpressibleByArgument, Sendable {
    var name: String
    var level: Int

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"),
              let level = Int(argument[argument.index(after: colon)...]), (1...5).contains(level) else { return nil }
        let name = String(argument[..<colon])
        guard !name.isEmpty else { return nil }
        self.name = name
        self.level = level
    }

    static var defaultValueDescription: String { "name:level" }
}

/// `CHANNEL:N`, an agent's concurrent capacity on one channel.
struct CapacityArgument: ExpressibleByArgument, Sendable {
    var channel: Channel
    var capacity: Int

    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let channel = Channel(rawValue: String(parts[0])),
              let capacity = Int(parts[1]), capacity >= 0 else { return nil }
        self.channel = channel
        self.capacity = capacity
    }

    static var defaultCompletionKind: CompletionKind { .list(Channel.allCases.map { "\($0.rawValue):" }) }
}

/// `KIND:ID`, who performs a ticket event (e.g. `agent:a3`, `customer:c-17`).
struct ActorArgument: ExpressibleByArgument, Sendable {
    var actor: TicketActor

    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let kind = TicketActor.Kind(rawValue: String(parts[0])), !parts[1].isEmpty else { return nil }
        actor = TicketActor(kind: kind, id: String(parts[1]))
    }

    static var defaultCompletionKind: CompletionKind { .list(TicketActor.Kind.allCases.map { "\($0.rawValue):" }) }
}

/// An ISO 8601 date-time (`2026-11-30T17:00:00Z`) or a date (`2026-11-30`, midnight UTC).
struct DateArgument: ExpressibleByArgument, Sendable {
    var date: Date

    init?(argument: String) {
        if let date = try? Date(argument, strategy: .iso8601) {
            self.date = date
        } else if let date = try? Date(argument, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            self.date = date
        } else if let date = try? Date(argument + "T00:00:00Z", strategy: .iso8601) {
            self.date = date
        } else {
            return nil
        }
    }

    static var defaultValueDescription: String { "ISO 8601 date" }
}
