import CustosCore
import CustosCrypto
import CustosTestSupport
import CustosWeb
import Foundation

/// An archive with three custodians whose in-memory devices made a 2-of-3 key epoch (no dealer), and a capture token.
struct ArchiveFixture: Sendable {
    let harness: Harness
    let custodians: [(person: Person, device: TestCustodian)]
    let token: String
    let publicKey: ArchivePublicKey

    static func make() async throws -> ArchiveFixture {
        let h = try await Harness.make()
        var custodians: [(Person, TestCustodian)] = []
        for i in 1...3 {
            let p = try await h.person("keeper\(i)", roles: [.custodian])
            custodians.append((p, try CeremonyDriver.enrol(p.user, system: h.system)))
        }
        let epoch = try CeremonyDriver.ceremony(system: h.system, participants: custodians.map(\.1))
        let (_, secret) = try h.system.captureTokens.create(name: "test capture", actor: .system("test"))
        return ArchiveFixture(harness: h, custodians: custodians, token: secret, publicKey: epoch.publicKey)
    }

    /// The archive's trust root.
    var trustRoot: String { get throws { try CeremonyDriver.trustRoot(harness.system) } }

    /// A sealed ingest item for `plaintext`.
    func item(_ plaintext: String, uid: String, from: String = "alice@example.com", to: String = "bob@example.org",
              sentAt: Int64 = 1_700_000_000, platform: String = "email") throws -> IngestItem {
        let header = EnvelopeHeader(uid: uid, epoch: publicKey.epoch, platform: platform, sentAt: sentAt)
        let e = try Envelope.seal(Array(plaintext.utf8), header: header, publicKey: publicKey)
        return IngestItem(uid: uid, epoch: publicKey.epoch, platform: platform, conversation: "<thread-1@example.com>",
                          direction: "unknown", sentAt: sentAt, size: plaintext.utf8.count, attachmentCount: 0, mediaTypes: [],
                          participants: [IngestParticipant(address: from, name: "Alice A.", part: "from"),
                                         IngestParticipant(address: to, name: nil, part: "to")],
                          envelope: IngestEnvelope(ephemeral: Data(e.ephemeralPublic.bytes).base64EncodedString(),
                                                   nonce: Data(e.nonce).base64EncodedString(),
                                                   ciphertext: Data(e.ciphertext).base64EncodedString(),
                                                   ciphertextHash: Data(e.ciphertextHash).base64EncodedString()))
    }

    /// Opens a stored message with the partial decryptions of the given custodians (by index into `custodians`).
    func open(messageID: Int64, with which: [Int]) throws -> [UInt8] {
        try harness.system.withRawDatabase { db -> [UInt8] in
            let env = try require(try db.queryOne("SELECT header, ephemeral, nonce, ciphertext FROM envelopes WHERE message_id = ?", messageID))
            let hash = try require(try db.queryOne("SELECT ciphertext_hash, epoch FROM messages WHERE id = ?", messageID))
            let epoch = try require(try db.queryOne("SELECT commitments FROM key_epochs WHERE epoch = ?", try hash.int(1)))
            let commitments = try FeldmanCommitments(serialized: try epoch.blob(0))
            let envelope = try Envelope(header: EnvelopeHeader(canonicalEncoding: try env.blob(0)),
                                        ephemeralPublic: Ristretto255.Point(bytes: try env.blob(1)), nonce: try env.blob(2),
                                        ciphertext: try env.blob(3), ciphertextHash: try hash.blob(0))
            var partials: [PartialDecryption] = []
            for i in which {
                partials += try custodians[i].device.withDevice {
                    try $0.partialDecryptions(commitments: commitments, ephemeralKeys: [envelope.ephemeralPublic])
                }
            }
            return try envelope.open(partials: partials, commitments: commitments)
        }
    }
}

/// `#require` outside a test body, for fixtures.
func require<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw DomainError.notFound("fixture: missing \(what)") }
    return value
}
