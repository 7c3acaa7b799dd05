@testable import CustosCrypto
import CustosCore
import CustosCrypto
import CustosTestSupport
import CustosWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A device's side of a ceremony over the signed API, step by step, as `custos custodian ceremony` takes it.
struct CeremonyDevice {
    let api: DeviceAPI

    init(_ client: any TestClientProtocol, _ custodian: TestCustodian, _ clock: ManualClock) {
        api = DeviceAPI(client: client, custodian: custodian, clock: clock)
    }

    func state() async throws -> CeremonyStateWire {
        let r = try await api.call(.get, "/api/v1/custodian/ceremony")
        #expect(r.status == .ok, "ceremony state: \(r.text)")
        return try JSONDecoder().decode(CeremonyStateWire.self, from: Data(r.body.readableBytesView))
    }

    func post(_ id: Int64, _ step: String, _ wire: CeremonyStepWire) async throws -> TestResponse {
        try await api.call(.post, "/api/v1/custodian/ceremony/\(id)/\(step)", json: [UInt8](try JSONEncoder().encode(wire)))
    }

    static func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}

/// Ceremonies driven over HTTP by the custodians' devices: nothing is in force until every participant has
/// signed, commitments come before dealings, a cheating dealer is named by a proven complaint and the
/// ceremony fails closed, and a false complaint changes nothing.
@Suite struct CeremonyAPITests {
    static func world() async throws -> (Harness, [TestCustodian]) {
        let h = try await Harness.make()
        var custodians: [TestCustodian] = []
        for i in 1...3 { custodians.append(try CeremonyDriver.enrol(try await h.person("keeper\(i)", roles: [.custodian]).user, system: h.system)) }
        return (h, custodians)
    }

    @Test func anEpochComesIntoForceOnlyWhenEveryParticipantHasSigned() async throws {
        let (h, c) = try await Self.world()
        _ = try h.system.ceremonies.propose(kind: .newKey, custodianIDs: c.map(\.user.id), threshold: 2, actor: .system("test"))
        try await h.run { client in
            let devices = c.map { CeremonyDevice(client, $0, h.clock) }
            let state = try await devices[0].state()
            #expect(state.phase == "commit" && state.you.participant != nil && state.members.count == 3)
            let setup = try CeremonySetup(serialized: [UInt8](Data(base64Encoded: state.setup)!))
            let dealings = try c.map { try $0.withDevice { try $0.dealer(for: setup, previousEpoch: nil).dealing() } }
            // Nobody reveals before everyone has committed.
            #expect(try await devices[0].post(state.id, "commit", .init(digest: CeremonyDevice.b64(dealings[0].digest))).status == .ok)
            let early = try await devices[0].post(state.id, "dealing", .init(dealing: CeremonyDevice.b64(dealings[0].serialized)))
            #expect(early.status == .conflict, "\(early.text)")
            for i in 1...2 { #expect(try await devices[i].post(state.id, "commit", .init(digest: CeremonyDevice.b64(dealings[i].digest))).status == .ok) }
            // A dealing other than the committed one is refused.
            let other = try c[0].withDevice { try $0.dealer(for: setup, previousEpoch: nil).dealing() }
            #expect(try await devices[0].post(state.id, "dealing", .init(dealing: CeremonyDevice.b64(other.serialized))).status == .badRequest)
            for i in 0...2 { #expect(try await devices[i].post(state.id, "dealing", .init(dealing: CeremonyDevice.b64(dealings[i].serialized))).status == .ok) }
            for i in 0...2 {
                let complaints = try c[i].withDevice { try $0.receive(dealings, setup: setup) }
                #expect(complaints.isEmpty)
                #expect(try await devices[i].post(state.id, "receipt", .init(complaints: [])).text.contains("accepted"))
            }
            let signing = try await devices[0].state()
            let transcript = try EpochTranscript(serialized: [UInt8](Data(base64Encoded: try #require(signing.transcript))!))
            // A signature over something else, or by another device, is refused.
            let wrong = try c[0].withDevice { try $0.sign(Array("not the transcript".utf8)) }
            #expect(try await devices[0].post(state.id, "signature", .init(signature: CeremonyDevice.b64(wrong))).status == .badRequest)
            for i in 0...1 {
                let sig = try c[i].withDevice { try $0.endorse(transcript).signature }
                #expect(try await devices[i].post(state.id, "signature", .init(signature: CeremonyDevice.b64(sig))).text.contains("\"signed\""))
                // Until the last participant signs, no key is served and nothing can be sealed to it.
                #expect(try await client.execute(uri: "/api/v1/archive-keys", method: .get, headers: [:], body: nil).status == .serviceUnavailable)
            }
            let last = try c[2].withDevice { try $0.endorse(transcript).signature }
            #expect(try await devices[2].post(state.id, "signature", .init(signature: CeremonyDevice.b64(last))).text.contains("\"active\""))
            let served = try await client.execute(uri: "/api/v1/archive-keys", method: .get, headers: [:], body: nil)
            let chain = try JSONDecoder().decode(ArchiveKeysResponse.self, from: Data(served.body.readableBytesView))
            let (key, _) = try EpochChain.verify(root: transcript.hash, chain: chain.epochs)
            #expect(key == transcript.publicKey)
            // The share boxes are gone from the database; every step is in the audit log.
            #expect(try h.system.withRawDatabase { Int(try $0.queryOne("SELECT count(*) FROM ceremony_steps WHERE step = 'dealing'")?.int(0) ?? -1) } == 0)
            let steps = try h.system.archive.read { try $0.audit.count(action: AuditAction.keyCeremonyStep.rawValue) }
            #expect(steps == 12)
            #expect(try h.system.archive.read { try $0.audit.entries(action: AuditAction.keyEpochActivated.rawValue) }.first?.details.contains(Hex.encode(transcript.hash)) == true)
            #expect(try h.system.verifyArchive().ok)
        }
    }

    @Test func aDealerWhoCheatsIsNamedAndTheCeremonyFailsClosed() async throws {
        let (h, c) = try await Self.world()
        _ = try h.system.ceremonies.propose(kind: .newKey, custodianIDs: c.map(\.user.id), threshold: 2, actor: .system("test"))
        try await h.run { client in
            let devices = c.map { CeremonyDevice(client, $0, h.clock) }
            let state = try await devices[0].state()
            let setup = try CeremonySetup(serialized: [UInt8](Data(base64Encoded: state.setup)!))
            var dealings = try c.map { try $0.withDevice { try $0.dealer(for: setup, previousEpoch: nil).dealing() } }
            // keeper2 deals keeper3 a share its commitments do not vouch for.
            var boxes = dealings[1].boxes
            boxes[2] = try ShareBox.seal(.random(), to: c[2].identity.encryptionKey, context: setup.boxContext(dealer: 2, recipient: 3))
            dealings[1] = try Dealing(dealer: 2, commitments: dealings[1].commitments, proof: dealings[1].proof, boxes: boxes)
            for i in 0...2 { _ = try await devices[i].post(state.id, "commit", .init(digest: CeremonyDevice.b64(dealings[i].digest))) }
            for i in 0...2 { _ = try await devices[i].post(state.id, "dealing", .init(dealing: CeremonyDevice.b64(dealings[i].serialized))) }
            // keeper1 first makes a false complaint about honest keeper3: refused, nothing recorded.
            let lie = Complaint(dealer: 3, recipient: 1, opening: try c[0].withDevice { try $0.reveal(dealings[2].boxes[0], index: 1) })
            let refused = try await devices[0].post(state.id, "receipt", .init(complaints: [ComplaintWire(lie)]))
            #expect(refused.status == .badRequest && refused.text.contains("does not hold"))
            #expect(try await devices[0].state().phase == "receive")
            // keeper3's complaint carries its proof: the ceremony fails and names keeper2.
            let complaints = try c[2].withDevice { try $0.receive(dealings, setup: setup) }
            #expect(complaints.map(\.dealer) == [2])
            let failed = try await devices[2].post(state.id, "receipt", .init(complaints: complaints.map(ComplaintWire.init)))
            #expect(failed.text.contains("\"failed\"") && failed.text.contains("keeper2"))
            let after = try await devices[0].state()
            #expect(after.status == "failed" && after.outcome?.contains("keeper2") == true)
            #expect(try h.system.ceremonies.chain().isEmpty)
            #expect(try await client.execute(uri: "/api/v1/archive-keys", method: .get, headers: [:], body: nil).status == .serviceUnavailable)
            #expect(try h.system.archive.read { try $0.audit.entries(action: AuditAction.keyCeremonyFailed.rawValue) }.first?.details.contains("keeper2") == true)
            #expect(try h.system.archive.read { try $0.audit.count(action: AuditAction.keyComplaintRefused.rawValue) } == 1)
        }
    }

    @Test func onlyDevicesNamedInTheCeremonyTakePart() async throws {
        let (h, c) = try await Self.world()
        let outsider = try CeremonyDriver.enrol(try await h.person("outsider", roles: [.custodian]).user, system: h.system)
        _ = try h.system.ceremonies.propose(kind: .newKey, custodianIDs: c.prefix(2).map(\.user.id), threshold: 2, actor: .system("test"))
        try await h.run { client in
            let stranger = CeremonyDevice(client, outsider, h.clock)
            let state = try await stranger.state()
            #expect(state.you.participant == nil && state.you.dealer == nil)
            let digest = try outsider.withDevice { _ in [UInt8](repeating: 7, count: 32) }
            #expect(try await stranger.post(state.id, "commit", .init(digest: CeremonyDevice.b64(digest))).status == .forbidden)
            // An unsigned request is not a device's.
            let anonymous = try await client.execute(uri: "/api/v1/custodian/ceremony/\(state.id)/commit", method: .post,
                                                     headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
            #expect(anonymous.status == .unauthorized)
        }
    }
}
