import ArgumentParser
import Foundation
import RingdeskAPI

/// `ringdesk cluster …`: the membership as one node sees it.
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cluster membership.",
        subcommands: [ClusterStatus.self]
    )
}

struct ClusterStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every member the node knows: status (alive, suspect, dead, left), incarnation, region, address."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withClient { client in
            let reply = try await client.send("GET", "/v1/cluster/members")
            if global.json { print(reply.text); return }
            let view = try reply.decode(ClusterMembersResponse.self)
            if !view.clustered { print("\(view.node) runs alone (no cluster section in its configuration)") }
            var table = TextTable(["MEMBER", "STATUS", "INCARNATION", "REGION", "ZONE", "ADDRESS", "LOAD", "VERSION", "POLICY"], rightAligned: [2, 6])
            for member in view.members {
                table.add([member.name + (member.isSelf ? " (this node)" : ""), member.status, String(member.incarnation),
                           member.region.isEmpty ? "-" : member.region, member.zone.isEmpty ? "-" : member.zone,
                           member.address ?? "-", String(member.load), member.version.isEmpty ? "-" : member.version,
                           member.policy ?? "-"])
            }
            print(table.render())
            let counts = Dictionary(grouping: view.members, by: \.status).mapValues(\.count)
            let summary = ["alive", "suspect", "dead", "left"].compactMap { status in counts[status].map { "\(status) \($0)" } }
            print(summary.joined(separator: ", "))
            // Live members should run the same policy; a node that missed a reload stands out.
            let live = view.members.filter { $0.status == "alive" || $0.status == "suspect" }
            let mine = view.members.first(where: \.isSelf)?.policy
            let differing = live.filter { $0.policy != mine }.map(\.name)
            if view.clustered {
                print(differing.isEmpty ? "policy: the same on every live member" : "policy differs on: \(differing.joined(separator: ", "))")
            }
        }
    }
}
