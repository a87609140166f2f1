#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore

/// A file that appears at `destination` complete or not at all: bytes go to a new temporary file
/// beside it (mode 0600, created exclusively), which is synced and then linked or renamed into
/// place, and the directory synced. Without `replacing`, an existing destination is never touched,
/// even one created while the download ran.
final class AtomicFile: Sendable {
    let destination: String
    let temporary: String
    private let handle: FileHandle

    init(destination: String) throws {
        let directory = (destination as NSString).deletingLastPathComponent
        let base = (destination as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(base).\(UUID().uuidString.prefix(8)).partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError.output("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        self.destination = destination
        self.temporary = temporary
        self.handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    func write(_ bytes: ByteBuffer) throws {
        let fd = handle.fileDescriptor
        let failure: Int32? = bytes.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure { throw CLIError.output("cannot write \(temporary): \(String(cString: strerror(failure)))") }
    }

    /// Syncs the bytes, then puts the file in place: `link` (fails if the destination exists)
    /// or, with `replacing`, `rename` (replaces it atomically).
    func commit(replacing: Bool) throws {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw CLIError.output("cannot sync \(temporary): \(Self.reason(error))")
        }
        if replacing {
            guard rename(temporary, destination) == 0 else { throw CLIError.output("cannot rename \(temporary) to \(destination): \(Self.lastError())") }
        } else if link(temporary, destination) == 0 {
            unlink(temporary)
        } else if errno == EEXIST {
            throw CLIError.output("\(destination) exists; choose another path or add --force to replace it")
        } else {
            throw CLIError.output("cannot move \(temporary) to \(destination): \(Self.lastError())")
        }
        let directory = (destination as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// Removes the temporary file (after a failure); the destination is left as it was.
    func discard() {
        try? handle.close()
        unlink(temporary)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }

    private static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}
