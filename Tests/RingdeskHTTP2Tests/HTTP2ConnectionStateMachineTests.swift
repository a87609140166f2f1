import NIOCore
@testable import RingdeskHTTP2
import Testing

/// The connection's timers and shutdown, driven by a hand-moved clock: no sockets, no sleeps.
@Suite struct HTTP2ConnectionStateMachineTests {
    let timeouts = HTTP2ConnectionStateMachine.Timeouts(
        idle: .seconds(60), headerRead: .seconds(5), requestRead: .seconds(20),
        writeStall: .seconds(15), goAwayDelay: .milliseconds(100), shutdownGrace: .seconds(10)
    )
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func at(_ seconds: Double) -> NIODeadline { start + .nanoseconds(Int64(seconds * 1e9)) }

    @Test func silentPeerIsClosedAtHeaderReadDeadline() {
        var machine = HTTP2ConnectionStateMachine(timeouts: timeouts, now: start)
        #expect(machine.nextDeadline() == at(5))
        #expect(machine.tick(now: at(4.9)).isEmpty)
        #expect(machine.tick(now: at(5)) == [.close(.headerReadTimeout, .noError)])
        #expect(machine.isClosed)
        #expect(machine.tick(now: at(100)).isEmpty)
    }

    @Test func firstRequestClearsHeaderDeadlineAndIdleStartsWhenStreamsClose() {
        var machine = HTTP2ConnectionStateMachine(timeouts: timeouts, now: start)
        machine.requestStarted(now: at(1))
        #expect(machine.openStreams == 1)
        #expect(machine.tick(now: at(30)).isEmpty, "an open stream is not idle")
        #expect(machine.streamClosed(now: at(31)) == nil)
        #expect(machine.nextDeadline() == at(91))
        #expect(machine.tick(now: at(90)).isEmpty)
        #expect(machine.tick(now: at(91)) == [.close(.idle, .noError)])
    }

    @Test func slowRequestBodyHitsRequestReadTimeout() {
        var machine = HTTP2ConnectionStateMachine(timeouts: timeouts, now: start)
        machine.requestStarted(now: at(1))
        #expect(machine.nextDeadline(oldestIncompleteRequest: at(1)) == at(21))
        #expect(machine.tick(now: at(20.5), oldestIncompleteRequest: at(1)).isEmpty)
        #expect(machine.tick(now: at(21), oldestIncompleteRequest: at(1)) == [.close(.requestReadTimeout, .enhanceYourCalm)])
    }

    @Test func peerThatStopsReadingIsClosedAfterWriteStall() {
        var machine = HTTP2ConnectionStateMachine(timeouts: timeouts, now: start)
        machine.requestStarted(now: at(0.5))
        machine.writabilityChanged(writable: false, now: at(2))
        machine.writabilityChanged(writable: false, now: at(3))  // still counted from the first
        #expect(machine.tick(now: at(16.9)).isEmpty)
        #expect(machine.tick(now: at(17)) == [.close(.writeStalled, .enhanceYourCalm)])
    }

    @Test func writabilityRecoveryCancelsStall() {
        var machine = HTTP2ConnectionStateMachine(timeouts: timeouts, now: start)
        machine.requestStarted(now: at(0.5))
        machine.writabilityChanged(writable: false, now: at(2))
        machine.writabilityChanged(writable: true, now: at(10))
        #expect(machine.tick(now: at(40)).isEmpty)
    }

    @Test func gracefulShutdownWaitsForInFlightStreams() {
        var machine = HTTP2ConnectionStateMachine(timeouts: timeouts, now: start)
        machine.requestStarted(now: at(1))
        machine.requestStarted(now: at(1))
        #expect(machine.beginGracefulShutdown(now: at(2)) == [.sendShutdownNotice])
        #expect(machine.beginGracefulShutdown(now: at(2.01)).isEmpty, "idempotent")
        #expect(machine.tick(now: at(2.1)) == [.sendFinalGoAway])
        #expect(machine.streamClosed(now: at(3)) == nil)
        #expect(machine.streamClosed(now: at(4)) == .close(.shutdownComplete, .noError))
        #expect(machine.isClosed)
    }

    @Test func gracefulShutdownWithNoStreamsClosesAfterFinalGoAway() {
        var machine = HTTP2ConnectionStateMachine(timeouts: timeouts, now: start)
        machine.requestStarted(now: at(1))
        _ = machine.streamClosed(now: at(1.5))
        _ = machine.beginGracefulShutdown(now: at(2))
        #expect(machine.tick(now: at(2.05)).isEmpty)
        #expect(machine.tick(now: at(2.1)) == [.sendFinalGoAway, .close(.shutdownComplete, .noError)])
    }

    @Test func streamsThatOutliveTheGraceAreCut() {
        var machine = HTTP2ConnectionStateMachine(timeouts: timeouts, now: start)
        machine.requestStarted(now: at(1))
        _ = machine.beginGracefulShutdown(now: at(2))
        _ = machine.tick(now: at(2.1))
        #expect(machine.nextDeadline() == at(12))
        #expect(machine.tick(now: at(12)) == [.close(.shutdownGraceExpired, .noError)])
    }

    @Test func closedMachineIgnoresEverything() {
        var machine = HTTP2ConnectionStateMachine(timeouts: timeouts, now: start)
        machine.connectionClosed()
        machine.requestStarted(now: at(1))
        #expect(machine.openStreams == 0)
        #expect(machine.streamClosed(now: at(1)) == nil)
        #expect(machine.beginGracefulShutdown(now: at(1)).isEmpty)
        #expect(machine.nextDeadline() == nil)
    }
}
