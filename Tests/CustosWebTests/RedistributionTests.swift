import CustosCore
import CustosCrypto
import CustosTestSupport
import CustosWeb
import Foundation
import Testing

/// Custodian turnover without re-encrypting anything: the key of epoch 1, held by {keeper1, keeper2, keeper3},
/// is redistributed to {keeper2, keeper4, keeper5}. The archive key is unchanged, keeper4 and keeper5 open
/// messages captured before, and keeper1's share has stopped counting.
@Suite struct RedistributionTests {
    @Test func newCustodiansOpenOldMessagesAndTheRetiredOnesCannotApprove() async throws {
        let w = try await DecryptionWorld.make(messages: 2)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let h = w.f.harness
        let old = w.f.custodians.map(\.device)
        var fresh: [TestCustodian] = []
        for i in 4...5 { fresh.append(try CeremonyDriver.enrol(try await h.person("keeper\(i)", roles: [.custodian]).user, system: h.system)) }
        let before = try #require(try h.system.ceremonies.chain().last)
        // keeper1 and keeper2 deal their shares; the new set checks and signs; keeper1 and keeper2 endorse.
        let after = try CeremonyDriver.ceremony(.redistribution, system: h.system, participants: [old[1], fresh[0], fresh[1]], dealers: [old[0], old[1]])
        #expect(after.epoch == 2 && after.record.kind == "redistribution")
        #expect(after.publicKey.point == before.publicKey.point, "the archive key is unchanged")
        // Capture clients follow the chain: epoch 2 verifies from the same trust root.
        let (key, _) = try EpochChain.verify(root: before.transcript.hash, chain: try h.system.ceremonies.chain().map(\.signed))
        #expect(key.epoch == 2 && key.point == before.publicKey.point)

        // A request for the messages sealed to epoch 1: only holders of epoch 2 decide.
        let request = try w.file()
        let retired = try w.system.decryption.detail(id: request, user: old[0].user, role: .custodian).approvalBlocker
        #expect(retired?.contains("You hold no share of key epoch 2") == true, "\(retired ?? "no blocker")")
        await #expect(throws: DomainError.self) { try await CeremonyDriver.approve(request, by: old[0], system: h.system) }
        // keeper1's device forgot its epoch 1 share once the redistribution was in force, as `custos custodian ceremony` does.
        #expect(try old[0].withDevice { $0.shareIndex(epoch: 1) } == nil, "the redistribution retired keeper1's share on its device")
        #expect(try await CeremonyDriver.approve(request, by: fresh[0], system: h.system) == .recorded(approvals: 1, needed: 2))
        guard case .granted = try await CeremonyDriver.approve(request, by: fresh[1], system: h.system) else {
            Issue.record("keeper4 and keeper5 did not open the grant")
            return
        }
        for (id, text) in zip(w.ids, w.plaintexts) { #expect(try w.read(id) == text) }
        #expect(try h.system.verifyArchive().ok)
    }

    @Test func partialsUnderARetiredShareAreRefused() async throws {
        let w = try await DecryptionWorld.make(messages: 1)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let h = w.f.harness
        let old = w.f.custodians.map(\.device)
        let epoch1 = try #require(try h.system.ceremonies.chain().first).commitments
        // keeper3 keeps a copy of its epoch 1 share before the turnover (a custodian who does not erase).
        let request = try w.file()
        let task = try h.system.decryption.approvalTask(id: request, user: old[2].user, actor: old[2].actor)
        let points = try task.items.map { try Ristretto255.Point(bytes: $0.ephemeral) }
        let stale = try old[2].withDevice { try $0.partialDecryptions(commitments: epoch1, ephemeralKeys: points) }
        var fresh: [TestCustodian] = []
        for i in 4...5 { fresh.append(try CeremonyDriver.enrol(try await h.person("keeper\(i)", roles: [.custodian]).user, system: h.system)) }
        try CeremonyDriver.ceremony(.redistribution, system: h.system, participants: [fresh[0], fresh[1], old[1]], dealers: [old[0], old[1]])
        // keeper3 is not in the new set: the server refuses it, whatever partials it brings.
        var partials: [Int64: PartialDecryption] = [:]
        for (item, p) in zip(task.items, stale) { partials[item.messageID] = p }
        await #expect(throws: DomainError.self) {
            try await h.system.decryption.approve(id: request, partials: partials, user: old[2].user, device: old[2].identity, actor: old[2].actor)
        }
        #expect(try w.system.decryption.detail(id: request, user: w.auditor.user, role: .auditor).approvals == 0)
    }
}
