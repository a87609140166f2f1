import Foundation
import RingdeskDomain
import RingdeskPrimitives

/// Entry bytes: `version:u8 tag:u8 body`, nothing after the body.
///
/// - Format 2 (written): binary. `setPolicy`: varint version, then the policy as a
///   length-prefixed canonical JSON document (rare, large, and configuration-shaped: JSON keeps it
///   readable and lets it grow without a format change); `create`: the ticket (`TicketCodec`);
///   `command`: the log command (`TicketCodec.write(_: TicketLogCommand, …)`).
/// - Format 1 (read only): the same tags with a canonical JSON body (sorted keys, dates as
///   seconds since the reference date). A log written before the upgrade replays; nothing writes
///   it any more.
/// - Anything else throws `entry_version_unknown`: the host halts the group there (never skips).
extension TicketLogEntry {
    private enum Tag: UInt8 {
        case setPolicy = 1, create, command, importTicket
    }

    /// The oldest entry format this build still reads.
    public static let oldestReadableFormat: UInt8 = 1

    /// Largest policy document a decoder accepts, in bytes.
    static let maxPolicyBytes = 16 << 20

    private struct PolicyBody: Codable {
        var version: UInt64
        var policy: DomainPolicy
    }

    /// Canonical JSON (sorted keys, dates as reference-date seconds): the policy inside format 2,
    /// and everything in format 1.
    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .deferredToDate
        return encoder
    }

    static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .deferredToDate
        return decoder
    }

    /// The policy as canonical JSON. Every value in it is plain data the domain validated (no
    /// non-finite numbers), so encoding cannot fail; a failure is a programming error.
    static func policyJSON(_ policy: DomainPolicy) -> [UInt8] {
        do {
            return Array(try jsonEncoder().encode(policy))
        } catch {
            preconditionFailure("a domain policy did not encode: \(error)")
        }
    }

    static func policy(fromJSON bytes: [UInt8]) throws(ShardCodecError) -> DomainPolicy {
        do {
            return try jsonDecoder().decode(DomainPolicy.self, from: Data(bytes))
        } catch {
            throw .malformed("policy document: \(error)")
        }
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.byte(Self.formatVersion)
        switch self {
        case let .setPolicy(version, policy):
            writer.byte(Tag.setPolicy.rawValue)
            writer.varint(version)
            writer.blob(Self.policyJSON(policy))
        case .create(let ticket):
            writer.bytes.reserveCapacity(512 + ticket.history.count * 48)
            writer.byte(Tag.create.rawValue)
            TicketCodec.write(ticket, into: &writer)
        case .command(let command):
            writer.byte(Tag.command.rawValue)
            TicketCodec.write(command, into: &writer)
        case .importTicket(let ticket):
            writer.bytes.reserveCapacity(512 + ticket.history.count * 48)
            writer.byte(Tag.importTicket.rawValue)
            TicketCodec.write(ticket, into: &writer)
        }
        return writer.bytes
    }

    /// Decodes `encoded` (format 2) or a format-1 entry; throws `ShardCodecError` on an unknown
    /// version or tag, a body that does not decode, or trailing bytes. Never traps.
    public init(encoded bytes: [UInt8]) throws(ShardCodecError) {
        guard bytes.count >= 2 else { throw .malformed("ticket log entry of \(bytes.count) bytes") }
        guard let tag = Tag(rawValue: bytes[1]) else {
            if bytes[0] != Self.formatVersion && bytes[0] != 1 { throw Self.unknownVersion(bytes[0]) }
            throw .malformed("unknown ticket log entry tag \(bytes[1])")
        }
        switch bytes[0] {
        case Self.formatVersion:
            self = try Self.decodeFormat2(tag: tag, bytes: bytes)
        case 1:
            self = try Self.decodeFormat1(tag: tag, body: Data(bytes[2...]))
        default:
            throw Self.unknownVersion(bytes[0])
        }
    }

    private static func decodeFormat2(tag: Tag, bytes: [UInt8]) throws(ShardCodecError) -> TicketLogEntry {
        var reader = ByteReader(bytes, from: 2)
        let entry: TicketLogEntry
        do {
            switch tag {
            case .setPolicy:
                let version = try reader.varint()
                let document = try reader.blob(limit: maxPolicyBytes)
                try reader.requireEnd()
                return .setPolicy(version: version, policy: try policy(fromJSON: document))
            case .create:
                entry = .create(try TicketCodec.read(from: &reader))
            case .command:
                entry = .command(try TicketCodec.readLogCommand(from: &reader))
            case .importTicket:
                entry = .importTicket(try TicketCodec.read(from: &reader))
            }
            try reader.requireEnd()
        } catch let error as ByteReaderError {
            throw .malformed("ticket log entry body: \(error.message)")
        } catch let error as ShardCodecError {
            throw error
        } catch {
            throw .malformed("ticket log entry body: \(error)")
        }
        return entry
    }

    private static func unknownVersion(_ version: UInt8) -> ShardCodecError {
        ShardCodecError(code: "entry_version_unknown",
                        message: "ticket log entry format \(version); this build reads formats \(oldestReadableFormat)...\(formatVersion)")
    }

    private static func decodeFormat1(tag: Tag, body: Data) throws(ShardCodecError) -> TicketLogEntry {
        let decoder = jsonDecoder()
        do {
            switch tag {
            case .setPolicy:
                let decoded = try decoder.decode(PolicyBody.self, from: body)
                return .setPolicy(version: decoded.version, policy: decoded.policy)
            case .create:
                return .create(try decoder.decode(Ticket.self, from: body))
            case .command:
                return .command(try decoder.decode(TicketLogCommand.self, from: body))
            case .importTicket:
                throw ShardCodecError.malformed("format 1 has no import entries")
            }
        } catch {
            throw .malformed("ticket log entry body (format 1): \(error)")
        }
    }
}
