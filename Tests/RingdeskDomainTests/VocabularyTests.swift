import Foundation
import Testing
@testable import RingdeskDomain

@Suite struct VocabularyTests {
    @Test func rawValuesAreSnakeCase() {
        #expect(TicketStatus.inProgress.rawValue == "in_progress")
        #expect(TicketStatus.waitingOnCustomer.rawValue == "waiting_on_customer")
        #expect(TicketCategory.return.rawValue == "return")
        #expect(TicketCategory.allCases.count == 7)
        #expect(Channel.allCases.map(\.rawValue) == ["phone", "chat", "email", "social", "sms", "app"])
        #expect(TicketStatus.allCases.count == 9)
    }

    @Test func orderings() {
        #expect(Urgency.red > Urgency.yellow && Urgency.yellow > Urgency.green)
        #expect(Urgency.allCases.max() == .red)
        #expect(SupportTier.l1 < SupportTier.l2 && SupportTier.l2 < SupportTier.expert)
        #expect(SupportTier.expert.next == nil)
        #expect(Urgency.green.raised == .yellow && Urgency.red.raised == .red)
    }

    @Test func defaultCapacities() {
        #expect(Channel.defaultCapacities == [.phone: 1, .chat: 3, .email: 5, .social: 3, .sms: 3, .app: 3])
    }

    @Test func dictionaryWithEnumKeysEncodesAsObject() throws {
        let data = try JSONEncoder().encode([Channel.chat: 3])
        #expect(String(decoding: data, as: UTF8.self) == #"{"chat":3}"#)
    }

    @Test func localDateArithmetic() throws {
        let d = try #require(LocalDate("2024-02-28"))
        #expect(d.adding(days: 1).description == "2024-02-29")
        #expect(d.adding(days: 2).description == "2024-03-01")
        #expect(LocalDate(daysSinceEpoch: 0).description == "1970-01-01")
        #expect(LocalDate(year: 1970, month: 1, day: 1).weekday == .thursday)
        #expect(LocalDate(year: 2025, month: 6, day: 2).weekday == .monday)
        #expect(LocalDate("2025-02-30") == nil)
        #expect(LocalDate("2025-6-1") == nil)
        let json = try JSONEncoder().encode([d])
        #expect(String(decoding: json, as: UTF8.self) == #"["2024-02-28"]"#)
    }
}
