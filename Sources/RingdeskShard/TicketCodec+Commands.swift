import Foundation
import RingdeskDomain
import RingdeskPrimitives

/// Binary forms of what a ticket log entry carries besides tickets: lifecycle commands (a tag
/// byte, then the case's fields), the log command around them, and the proposer's derived values.
/// Same rules as tickets: canonical, bounded, never trapping.
extension TicketCodec {
    /// Tags of `TicketCommand` cases. Append only.
    private enum CommandTag: UInt8 {
        case offer = 1, acceptOffer, rejectOffer, offerExpired, startWork, comment, requestCustomerInfo, customerReply,
             transfer, escalate, resolve, close, reopen, cancel, overrideUrgency, leaseExpired, feedback, linkFollowUp, slaCheck
    }

    static func write(_ command: TicketCommand, into writer: inout ByteWriter) {
        switch command {
        case let .offer(agentID, expiresAt, why):
            writer.byte(CommandTag.offer.rawValue)
            writer.string(agentID)
            writer.date(expiresAt)
            writer.stringMap(why)
        case .acceptOffer(let agentID):
            writer.byte(CommandTag.acceptOffer.rawValue)
            writer.string(agentID)
        case .rejectOffer(let agentID):
            writer.byte(CommandTag.rejectOffer.rawValue)
            writer.string(agentID)
        case .offerExpired:
            writer.byte(CommandTag.offerExpired.rawValue)
        case .startWork:
            writer.byte(CommandTag.startWork.rawValue)
        case let .comment(text, isInternal):
            writer.byte(CommandTag.comment.rawValue)
            writer.string(text)
            writer.bool(isInternal)
        case .requestCustomerInfo(let question):
            writer.byte(CommandTag.requestCustomerInfo.rawValue)
            writer.string(question)
        case .customerReply(let text):
            writer.byte(CommandTag.customerReply.rawValue)
            writer.string(text)
        case let .transfer(queue, requiredSkills, reason):
            writer.byte(CommandTag.transfer.rawValue)
            writer.string(queue)
            if let requiredSkills {
                writer.byte(1)
                write(requiredSkills, into: &writer)
            } else {
                writer.byte(0)
            }
            writer.optionalString(reason)
        case .escalate(let reason):
            writer.byte(CommandTag.escalate.rawValue)
            writer.string(reason)
        case .resolve(let note):
            writer.byte(CommandTag.resolve.rawValue)
            writer.string(note)
        case .close:
            writer.byte(CommandTag.close.rawValue)
        case .reopen(let reason):
            writer.byte(CommandTag.reopen.rawValue)
            writer.string(reason)
        case .cancel(let reason):
            writer.byte(CommandTag.cancel.rawValue)
            writer.string(reason)
        case .overrideUrgency(let urgency):
            writer.byte(CommandTag.overrideUrgency.rawValue)
            writer.optionalCode(urgency)
        case .leaseExpired(let epoch):
            writer.byte(CommandTag.leaseExpired.rawValue)
            writer.varint(epoch)
        case let .feedback(rating, comment):
            writer.byte(CommandTag.feedback.rawValue)
            writer.int(rating)
            writer.string(comment)
        case .linkFollowUp(let ticketID):
            writer.byte(CommandTag.linkFollowUp.rawValue)
            writer.string(ticketID)
        case .slaCheck:
            writer.byte(CommandTag.slaCheck.rawValue)
        }
    }

    static func readCommand(from reader: inout ByteReader) throws(ByteReaderError) -> TicketCommand {
        let raw = try reader.byte()
        guard let tag = CommandTag(rawValue: raw) else { throw ByteReaderError("unknown ticket command tag \(raw) at byte \(reader.offset - 1)") }
        switch tag {
        case .offer: return .offer(agentID: try reader.text(), expiresAt: try reader.date(), why: try reader.stringMap())
        case .acceptOffer: return .acceptOffer(agentID: try reader.text())
        case .rejectOffer: return .rejectOffer(agentID: try reader.text())
        case .offerExpired: return .offerExpired
        case .startWork: return .startWork
        case .comment: return .comment(text: try reader.text(), internal: try reader.bool())
        case .requestCustomerInfo: return .requestCustomerInfo(question: try reader.text())
        case .customerReply: return .customerReply(text: try reader.text())
        case .transfer:
            let queue = try reader.text()
            let skills = try reader.presence() ? try readSkills(from: &reader) : nil
            return .transfer(queue: queue, requiredSkills: skills, reason: try reader.optionalText())
        case .escalate: return .escalate(reason: try reader.text())
        case .resolve: return .resolve(note: try reader.text())
        case .close: return .close
        case .reopen: return .reopen(reason: try reader.text())
        case .cancel: return .cancel(reason: try reader.text())
        case .overrideUrgency: return .overrideUrgency(try reader.optionalCode())
        case .leaseExpired: return .leaseExpired(epoch: try reader.varint())
        case .feedback: return .feedback(rating: try reader.int(), comment: try reader.text())
        case .linkFollowUp: return .linkFollowUp(ticketID: try reader.text())
        case .slaCheck: return .slaCheck
        }
    }

    static func write(_ command: TicketLogCommand, into writer: inout ByteWriter) {
        writer.string(command.ticketID)
        write(command.command, into: &writer)
        write(command.actor, into: &writer)
        writer.date(command.at)
        writer.varint(command.policyVersion)
        if let epoch = command.expectedEpoch {
            writer.byte(1)
            writer.varint(epoch)
        } else {
            writer.byte(0)
        }
        if let derived = command.derived {
            writer.byte(1)
            writer.code(derived.urgency)
            write(derived.sla, into: &writer)
        } else {
            writer.byte(0)
        }
        // Last and only when present: entries written before it existed end here.
        if let basedOn = command.basedOnEvents { writer.varint(UInt64(basedOn)) }
    }

    static func readLogCommand(from reader: inout ByteReader) throws(ByteReaderError) -> TicketLogCommand {
        let ticketID = try reader.text()
        let command = try readCommand(from: &reader)
        let actor = try readActor(from: &reader)
        let at = try reader.date()
        let policyVersion = try reader.varint()
        let expectedEpoch = try reader.presence() ? try reader.varint() : nil
        var derived: TicketDerived?
        if try reader.presence() {
            derived = TicketDerived(urgency: try reader.code(), sla: try readSLA(from: &reader))
        }
        let basedOn = reader.isAtEnd ? nil : Int(clamping: try reader.varint())
        return TicketLogCommand(ticketID: ticketID, command: command, actor: actor, at: at, policyVersion: policyVersion,
                                expectedEpoch: expectedEpoch, derived: derived, basedOnEvents: basedOn)
    }
}
