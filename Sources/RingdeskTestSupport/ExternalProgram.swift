import Foundation

/// What an external program printed and how it ended.
public struct ProgramResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` (looked up through /usr/bin/env) with a hard time limit: a program that
/// overruns is killed by its PID. Both pipes are drained concurrently so large output cannot block.
/// The waiting happens on a Dispatch thread, never on Swift's cooperative pool: tests that serve
/// requests in-process (whose handlers need that pool) run beside tests that wait for programs.
public func runProgram(_ executable: String, _ arguments: [String], timeout: Double = 60) async throws -> ProgramResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try runProgramBlocking(executable, arguments, timeout: timeout) })
        }
    }
}

private func runProgramBlocking(_ executable: String, _ arguments: [String], timeout: Double) throws -> ProgramResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outData = PipeBuffer()
    let errData = PipeBuffer()
    let readers = DispatchGroup()
    for (pipe, buffer) in [(out, outData), (err, errData)] {
        readers.enter()
        DispatchQueue.global().async {
            buffer.set(pipe.fileHandleForReading.readDataToEndOfFile())
            readers.leave()
        }
    }
    let pid = process.processIdentifier
    let killer = DispatchWorkItem { if process.isRunning { kill(pid, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    process.waitUntilExit()
    killer.cancel()
    readers.wait()
    return ProgramResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData.get(), as: UTF8.self),
        stderr: String(decoding: errData.get(), as: UTF8.self)
    )
}

/// Bytes read from a pipe on another thread.
/// `@unchecked Sendable`: `data` is only touched under `lock`.
private final class PipeBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}

/// The repository root, found from this file's location (Sources/RingdeskTestSupport/<file>).
public let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url
}()

/// A throwaway self-signed certificate for 127.0.0.1 (openssl CLI) in a new temporary directory;
/// the caller removes `directory`.
public func makeSelfSignedCertificate() async throws -> (directory: URL, certificate: String, key: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let certificate = directory.appendingPathComponent("cert.pem").path
    let key = directory.appendingPathComponent("key.pem").path
    let result = try await runProgram("openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
    ], timeout: 30)
    guard result.status == 0 else { throw ProgramFailure(description: "openssl failed: \(result.stderr)") }
    return (directory, certificate, key)
}

public struct ProgramFailure: Error, CustomStringConvertible {
    public var description: String
}
