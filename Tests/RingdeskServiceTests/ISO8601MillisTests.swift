import Foundation
import RingdeskService
import Testing

@Suite struct ISO8601MillisTests {
    @Test func formatsLikeFoundationAcrossCenturiesAndLeapDays() {
        var seconds: Int64 = -2_208_988_800  // 1900-01-01
        var checked = 0
        while seconds < 7_258_118_400 {  // 2200-01-01
            let whole = Date(timeIntervalSince1970: Double(seconds))
            #expect(ISO8601Millis.string(whole) == whole.formatted(.iso8601).replacingOccurrences(of: "Z", with: ".000Z"), "\(seconds)")
            // Millisecond dates survive a round trip exactly.
            let millis = Date(timeIntervalSince1970: Double(seconds * 1000 + Int64(checked % 1000)) / 1000)
            #expect(ISO8601Millis.date(ISO8601Millis.string(millis)) == millis, "\(millis.timeIntervalSince1970)")
            seconds += 3_207_437  // about 37 days: walks through every month, leap days and times of day
            checked += 1
        }
        #expect(checked > 2500)
        #expect(ISO8601Millis.string(Date(timeIntervalSince1970: 951_782_400.5)) == "2000-02-29T00:00:00.500Z")
        #expect(ISO8601Millis.string(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
    }

    @Test func parsesOtherISOFormsAndRefusesGarbage() {
        #expect(ISO8601Millis.date("2026-11-24T10:30:00+01:00") == Date(timeIntervalSince1970: 1_795_512_600))
        #expect(ISO8601Millis.date("2026-11-24T09:30:00Z") == Date(timeIntervalSince1970: 1_795_512_600))
        #expect(ISO8601Millis.date("2026-13-24T09:30:00.000Z") == nil)
        #expect(ISO8601Millis.date("yesterday") == nil)
    }
}
