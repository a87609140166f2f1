import Foundation
import RingdeskPlacement
import RingdeskPrimitives
import Testing

/// Members `1...count`, each in its own zone; `regions` regions assigned round robin.
func members(_ count: Int, regions: Int = 1, first: Int = 1) -> [PlacementMember] {
    (first..<(first + count)).map { index in
        PlacementMember(id: PlacementNodeID(UInt64(index)), region: "region-\(index % regions)", zone: "zone-\(index)")
    }
}

func maxOverMean(_ counts: [PlacementNodeID: Int], nodes: Int, total: Int) -> Double {
    Double(counts.values.max() ?? 0) / (Double(total) / Double(nodes))
}

@Suite struct PlacementComputationTests {
    @Test func theMemberListOrderDoesNotMatter() throws {
        var generator = SplitMix64(seed: 19)
        let list = members(7, regions: 2)
        let settings = PlacementSettings(shardCount: 128, seed: 5)
        let reference = try Placement.compute(members: list, settings: settings)
        for _ in 0..<20 {
            let shuffled = list.shuffled(using: &generator)
            #expect(try Placement.compute(members: shuffled, settings: settings) == reference)
        }
        #expect(reference.shardCount == 128)
        #expect(reference.shards.allSatisfy { $0.count == 3 && Set($0).count == 3 })
    }

    @Test func theSameInputGivesTheSameFigures() throws {
        let placement = try Placement.compute(members: members(5), settings: PlacementSettings(shardCount: 8))
        let again = try Placement.compute(members: members(5), settings: PlacementSettings(shardCount: 8))
        #expect(placement == again)
        #expect(placement.inputDigest == again.inputDigest)
        // Every node of a cluster, whatever its build or platform, must compute this same map:
        // pinned so that a change of the hash or the algorithm cannot pass unnoticed.
        #expect(placement.shards.map { $0.map(\.rawValue) } == Self.pinnedFiveNodesEightShards)
        #expect(placement.inputDigest == Self.pinnedDigest)
    }

    static let pinnedFiveNodesEightShards: [[UInt64]] = [[1, 5, 2], [2, 4, 3], [2, 1, 5], [3, 5, 1], [5, 2, 4], [5, 4, 3], [4, 2, 3], [4, 1, 3]]
    static let pinnedDigest: UInt64 = 14_146_020_846_872_848_446

    @Test func theVersionIsCarriedButMovesNothingWhileTheSeedReshuffles() throws {
        let list = members(6)
        let first = try Placement.compute(members: list, settings: PlacementSettings(shardCount: 64, version: 1))
        let second = try Placement.compute(members: list, settings: PlacementSettings(shardCount: 64, version: 2))
        #expect(first.version == 1 && second.version == 2)
        #expect(first.shards == second.shards)
        #expect(first.inputDigest != second.inputDigest)
        let reseeded = try Placement.compute(members: list, settings: PlacementSettings(shardCount: 64, version: 1, seed: 99))
        #expect(reseeded.shards != first.shards)
    }

    @Test func replicasSpreadOverBothRegionsAndThreeZones() throws {
        // 6 nodes: 2 regions × 3 zones, one node per zone.
        let list = (1...6).map { index in
            PlacementMember(id: PlacementNodeID(UInt64(index)), region: index <= 3 ? "eu" : "us", zone: "z\((index - 1) % 3)")
        }
        for shardCount in [64, 256] {
            let placement = try Placement.compute(members: list, settings: PlacementSettings(shardCount: shardCount))
            let region = Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0.region) })
            let zone = Dictionary(uniqueKeysWithValues: list.map { ($0.id, [$0.region, $0.zone]) })
            for set in placement.shards {
                #expect(Set(set.map { region[$0]! }) == ["eu", "us"])
                #expect(Set(set.map { zone[$0]! }).count == 3)
            }
        }
    }

    @Test func threeZonesInOneRegionGiveThreeDistinctZones() throws {
        // 9 nodes, 3 per zone.
        let list = (1...9).map { PlacementMember(id: PlacementNodeID(UInt64($0)), region: "eu", zone: "z\($0 % 3)") }
        let placement = try Placement.compute(members: list, settings: PlacementSettings(shardCount: 256))
        let zone = Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0.zone) })
        #expect(placement.shards.allSatisfy { Set($0.map { zone[$0]! }).count == 3 })
        #expect(maxOverMean(placement.replicaCounts, nodes: 9, total: 256 * 3) <= 1.15)
    }

    @Test func fewerZonesThanReplicasUseEveryZone() throws {
        // 4 nodes in 2 zones: a third zone does not exist, so every shard uses both and repeats one.
        let list = (1...4).map { PlacementMember(id: PlacementNodeID(UInt64($0)), region: "eu", zone: "z\($0 % 2)") }
        let placement = try Placement.compute(members: list, settings: PlacementSettings(shardCount: 64))
        let zone = Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0.zone) })
        for set in placement.shards {
            #expect(set.count == 3)
            #expect(Set(set.map { zone[$0]! }).count == 2)
        }
    }

    @Test func drainingAndDeadMembersGetNoReplicas() throws {
        var list = members(6)
        list[1].state = .draining
        list[4].state = .dead
        let placement = try Placement.compute(members: list, settings: PlacementSettings(shardCount: 256))
        #expect(placement.shards(on: list[1].id).isEmpty)
        #expect(placement.shards(on: list[4].id).isEmpty)
        #expect(placement.shards.allSatisfy { $0.count == 3 })
        #expect(Set(placement.replicaCounts.keys) == Set([list[0], list[2], list[3], list[5]].map(\.id)))

        for index in list.indices { list[index].state = index % 2 == 0 ? .dead : .draining }
        #expect(throws: PlacementError.self) { try Placement.compute(members: list, settings: .defaults) }
        do {
            _ = try Placement.compute(members: list, settings: .defaults)
        } catch {
            #expect(error.code == .noEligibleMembers)
        }
    }

    @Test func fewerMembersThanReplicasPlaceOnAllOfThem() throws {
        for count in [1, 2] {
            let placement = try Placement.compute(members: members(count), settings: PlacementSettings(shardCount: 64))
            #expect(placement.shards.allSatisfy { Set($0) == Set(members(count).map(\.id)) })
        }
        let fiveOnFour = try Placement.compute(members: members(4), settings: PlacementSettings(shardCount: 16, replicasPerShard: 5))
        #expect(fiveOnFour.shards.allSatisfy { $0.count == 4 })
    }

    @Test func fiveReplicasSpreadAndBalance() throws {
        for nodes in 5...10 {
            let list = members(nodes, regions: 2)
            for shardCount in [64, 256] {
                let placement = try Placement.compute(members: list, settings: PlacementSettings(shardCount: shardCount, replicasPerShard: 5))
                #expect(placement.shards.allSatisfy { $0.count == 5 && Set($0).count == 5 })
                let region = Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0.region) })
                #expect(placement.shards.allSatisfy { Set($0.map { region[$0]! }).count == 2 })
                #expect(maxOverMean(placement.replicaCounts, nodes: nodes, total: shardCount * 5) <= 1.15)
                #expect(maxOverMean(placement.leaderCounts, nodes: nodes, total: shardCount) <= 1.15)
            }
        }
    }

    @Test(arguments: [64, 256])
    func replicasAndLeadersStayWithinTheBound(shardCount: Int) throws {
        for nodes in 3...10 {
            for regions in [1, 2] {
                for seed: UInt64 in 0..<5 {
                    let placement = try Placement.compute(members: members(nodes, regions: regions),
                                                          settings: PlacementSettings(shardCount: shardCount, seed: seed))
                    let replicas = maxOverMean(placement.replicaCounts, nodes: nodes, total: shardCount * 3)
                    let leaders = maxOverMean(placement.leaderCounts, nodes: nodes, total: shardCount)
                    #expect(replicas <= 1.15, "replicas \(replicas): \(nodes) nodes, \(regions) regions, seed \(seed)")
                    #expect(leaders <= 1.15, "leaders \(leaders): \(nodes) nodes, \(regions) regions, seed \(seed)")
                    #expect(placement.leaderCounts.count == nodes)
                }
            }
        }
    }

    @Test func weightsShareReplicasProportionally() throws {
        var list = members(8)
        list[0].weight = 2
        let placement = try Placement.compute(members: list, settings: PlacementSettings(shardCount: 256))
        let counts = placement.replicaCounts
        // Fair shares of 768 replicas: 2/9 (170.7) for the heavy member, 1/9 (85.3) for the others;
        // caps 1.15× that. A weight-2 member ranks first twice as often (best of two draws), but
        // among the first three it is somewhat less than twice as often: about 1.7×.
        let heavy = counts[list[0].id]!
        let others = list.dropFirst().map { counts[$0.id]! }
        #expect(heavy <= 196)
        #expect(Double(heavy) >= 1.5 * Double(others.reduce(0, +)) / Double(others.count), "heavy member: \(heavy), others \(others)")
        #expect(others.allSatisfy { $0 <= 98 }, "others: \(others)")
        let leaders = placement.leaderCounts
        #expect(leaders[list[0].id]! <= 65 && list.dropFirst().allSatisfy { leaders[$0.id]! <= 32 })
    }
}

@Suite struct PlacementMovementTests {
    /// Plain rendezvous (no load bound) guarantees exactly: after a join, every shard whose new
    /// replica set does not contain the new node keeps its replica set in the same order; after a
    /// leave, every shard that did not contain the removed node keeps it.
    @Test func plainRendezvousMovesOnlyShardsThatInvolveTheNode() throws {
        for seed: UInt64 in 0..<4 {
            for regions in [1, 2] {
                for nodes in 3...9 {
                    let settings = PlacementSettings(shardCount: 256, seed: seed, loadBoundPermille: nil)
                    let before = try Placement.compute(members: members(nodes, regions: regions), settings: settings)
                    let after = try Placement.compute(members: members(nodes + 1, regions: regions), settings: settings)
                    let newcomer = PlacementNodeID(UInt64(nodes + 1))
                    for shard in 0..<256 where !after.shards[shard].contains(newcomer) {
                        #expect(after.shards[shard] == before.shards[shard], "join: shard \(shard), \(nodes) nodes, seed \(seed)")
                    }
                    // The leave is the same pair read backwards.
                    for shard in 0..<256 where !after.shards[shard].contains(newcomer) {
                        #expect(before.shards[shard] == after.shards[shard])
                    }
                    let diff = try PlacementDiff(from: before, to: after)
                    #expect(diff.replicaMoves.filter { $0.kind == .add }.allSatisfy { $0.node == newcomer })
                }
            }
        }
    }

    /// With the load bound, a join may also move a few shards the new node does not join (a node
    /// that was full takes back a shard it had passed on). Measured bound, for fixed seeds: the new
    /// node takes at most its cap, every changed shard keeps its size, and all moves together stay
    /// within 1.3× the ideal 1/N of replicas at 256 shards (`scripts/bench/placement` reports more).
    @Test func boundedLoadsMoveLittleMoreThanTheNewNodesShare() throws {
        for seed: UInt64 in 0..<10 {
            for regions in [1, 2] {
                for (from, to) in [(3, 4), (9, 10)] {
                    let settings = PlacementSettings(shardCount: 256, seed: seed)
                    let before = try Placement.compute(members: members(from, regions: regions), settings: settings)
                    let after = try Placement.compute(members: members(to, regions: regions), settings: settings)
                    let diff = try PlacementDiff(from: before, to: after)
                    let ideal = Double(256 * 3) / Double(to)
                    let newcomer = PlacementNodeID(UInt64(to))
                    #expect(Double(diff.replicasAdded) <= ideal * 1.3, "\(from)→\(to), \(regions) regions, seed \(seed): \(diff.replicasAdded) moved")
                    #expect((after.replicaCounts[newcomer] ?? 0) <= Int(ideal * 1.15))
                    #expect(diff.changes.allSatisfy { $0.added.count == $0.removed.count })
                    let collateral = diff.changes.count { $0.movesReplicas && !$0.added.contains(newcomer) }
                    #expect(collateral <= 256 / 20, "\(collateral) shards moved without the new node")
                    // Leaving again moves the same replicas back.
                    let back = try PlacementDiff(from: after, to: before)
                    #expect(back.replicasAdded == diff.replicasAdded)
                }
            }
        }
    }

    @Test func aDeadNodesReplicasAreReplacedAndTheRestMostlyStay() throws {
        var list = members(6, regions: 2)
        let settings = PlacementSettings(shardCount: 256)
        let before = try Placement.compute(members: list, settings: settings)
        list[2].state = .dead
        let after = try Placement.compute(members: list, settings: settings)
        let diff = try PlacementDiff(from: before, to: after)
        let held = before.replicaCounts[list[2].id]!
        #expect(diff.replicaMoves.filter { $0.kind == .remove && $0.node == list[2].id }.count == held)
        #expect(Double(diff.replicasAdded) <= Double(held) * 1.3)
        #expect(after.shards(on: list[2].id).isEmpty)
    }
}

@Suite struct PlacementValidationTests {
    func code(_ members: [PlacementMember], _ settings: PlacementSettings) -> PlacementError.Code? {
        do {
            _ = try Placement.compute(members: members, settings: settings)
            return nil
        } catch {
            return error.code
        }
    }

    @Test(arguments: [0, 2, 4, 6, -1])
    func replicaCountsOtherThanOneThreeFiveAreRefused(replicas: Int) {
        #expect(code(members(5), PlacementSettings(shardCount: 64, replicasPerShard: replicas)) == .invalidSettings)
    }

    @Test func badSettingsAndMembersAreRefused() throws {
        #expect(code(members(3), PlacementSettings(shardCount: 0)) == .invalidSettings)
        #expect(code(members(3), PlacementSettings(shardCount: PlacementSettings.maxShardCount + 1)) == .invalidSettings)
        #expect(code(members(3), PlacementSettings(shardCount: 64, loadBoundPermille: 999)) == .invalidSettings)
        #expect(code(members(3) + members(1), .defaults) == .invalidMember)
        var heavy = members(3)
        heavy[0].weight = 0
        #expect(code(heavy, .defaults) == .invalidMember)
        heavy[0].weight = PlacementSettings.maxWeight + 1
        #expect(code(heavy, .defaults) == .invalidMember)
        var nameless = members(3)
        nameless[1].zone = ""
        #expect(code(nameless, .defaults) == .invalidMember)
        #expect(code([], .defaults) == .noEligibleMembers)
        #expect(code(members(3), PlacementSettings(shardCount: 1, replicasPerShard: 1)) == nil)
        do {
            _ = try Placement.compute(members: members(3) + members(1), settings: .defaults)
        } catch {
            #expect(error.message.contains("duplicate member id 1"))
        }
    }
}

@Suite struct PlacementDiffTests {
    @Test func theDiffTurnsTheOldPlacementIntoTheNew() throws {
        let settings = PlacementSettings(shardCount: 64, version: 1)
        var next = settings
        next.version = 2
        let before = try Placement.compute(members: members(5, regions: 2), settings: settings)
        let after = try Placement.compute(members: members(7, regions: 2), settings: next)
        let diff = try PlacementDiff(from: before, to: after)
        #expect(diff.fromVersion == 1 && diff.toVersion == 2)
        var sets = before.shards.map(Set.init)
        var lastShard = -1
        var removing = false
        for move in diff.replicaMoves {
            if move.shard != lastShard {
                lastShard = move.shard
                removing = false
            }
            switch move.kind {
            case .add:
                #expect(!removing, "adds come before removes within a shard")
                #expect(sets[move.shard].insert(move.node).inserted)
            case .remove:
                removing = true
                #expect(sets[move.shard].remove(move.node) != nil)
            }
        }
        #expect(sets == after.shards.map(Set.init))
        for change in diff.changes { #expect(change.leaderAfter == after.leader(of: change.shard)) }
        #expect(diff.replicasAdded == diff.replicaMoves.count { $0.kind == .add })
        #expect(try PlacementDiff(from: after, to: after).isEmpty)
    }

    @Test func placementsWithDifferentShardCountsAreNotDiffed() throws {
        let small = try Placement.compute(members: members(3), settings: PlacementSettings(shardCount: 64))
        let large = try Placement.compute(members: members(3), settings: PlacementSettings(shardCount: 128))
        do {
            _ = try PlacementDiff(from: small, to: large)
            Issue.record("expected shard_count_mismatch")
        } catch {
            #expect(error.code == .shardCountMismatch)
        }
    }

    @Test func placementsAndDiffsRoundTripThroughJSON() throws {
        let before = try Placement.compute(members: members(4), settings: PlacementSettings(shardCount: 32))
        let after = try Placement.compute(members: members(5), settings: PlacementSettings(shardCount: 32, version: 2))
        let diff = try PlacementDiff(from: before, to: after)
        let data = try JSONEncoder().encode(after)
        #expect(try JSONDecoder().decode(Placement.self, from: data) == after)
        #expect(try JSONDecoder().decode(PlacementDiff.self, from: JSONEncoder().encode(diff)) == diff)
        // Node ids are bare numbers in the record.
        #expect(String(decoding: data, as: UTF8.self).contains("\"shards\":[["))
    }
}
