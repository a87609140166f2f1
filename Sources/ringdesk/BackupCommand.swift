import ArgumentParser
import Foundation
import RingdeskAPI

/// `ringdesk backup`: asks the node for a consistent snapshot of its data, written on its host.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent snapshot of the node's database on the node's host.",
        discussion: "The node keeps serving while it writes. Restore: stop a node, make the snapshot its data directory's ringdesk.sqlite, start it (docs/operations.md)."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withClient { client in
            let reply = try await client.send("POST", "/v1/admin/backups")
            if global.json { print(reply.text); return }
            let backup = try reply.decode(BackupResponse.self)
            print("backup written on the node's host: \(backup.path) (\(backup.bytes) bytes)")
        }
    }
}
