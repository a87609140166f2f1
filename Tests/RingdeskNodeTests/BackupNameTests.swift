import Foundation
@testable import RingdeskNode
import Testing

/// The download route serves only names of the shape the node makes: the check is pure, so every
/// hostile spelling is tried here without a node.
@Suite struct BackupNameTests {
    @Test func theNodeMakesNamesItAccepts() throws {
        let name = try #require(BackupName.make(stamp: "2026-12-02T05:11:38.123Z", suffix: UUID(uuidString: "1A2B3C4D-0000-0000-0000-000000000000")!))
        #expect(name == "ringdesk-2026-12-02T051138.123Z-1A2B3C4D.sqlite")
        #expect(BackupName.validated(name) == name)
        #expect(BackupName.make(stamp: "+12026-12-02T05:11:38.123Z") == nil, "a stamp of another shape makes no name")
    }

    @Test(arguments: [
        "", ".", "..", "../ringdesk.sqlite", "/etc/passwd", "ringdesk.sqlite", "ringdesk-2026-12-02T051138.123Z-1A2B3C4D.sqlite/",
        "/ringdesk-2026-12-02T051138.123Z-1A2B3C4D.sqlite", "ringdesk-2026-12-02T051138.123Z-1A2B3C4D.sqlite\0",
        "ringdesk-2026-12-02T051138.123Z-1A2B3C4D.sqlit\0", "ringdesk-2026-12-02T051138.123Z-1a2b3c4d.sqlite",
        "ringdesk-2026-12-02T051138.123Z-1A2B3C4G.sqlite", "ringdesk-2026-12-02T05:11:38.123Z-1A2B3C4D.sqlite",
        "ringdesk-2026-12-02T051138.123Z-../../x.sqlite", "ringdesk-2026-12-02T051138.123Z-1A2B3C4D.sqlite.bak",
        "ringdesk-2026-12-02T051138.123Z-1A2B3C4D/sqlite", "ringdesk-2026-12-02T051138.123Z-1A2B3C4D.SQLITE",
        "ringdesk-２026-12-02T051138.123Z-1A2B3C4D.sqlite", "ringdesk-2026-12-02T051138.123Z-1A2B3C4D\\.sqlite",
    ])
    func everyOtherSpellingIsRefused(_ name: String) {
        #expect(BackupName.validated(name) == nil, "\(name.debugDescription)")
    }
}
