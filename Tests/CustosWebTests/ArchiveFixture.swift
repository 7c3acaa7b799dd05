import CustosCore
import CustosCrypto
import CustosWeb
import Foundation

/// An archive with three custodians (passphrases set), a 2-of-3 key epoch and a capture token.
struct ArchiveFixture: Sendable {
    let harness: Harness
    let custodians: [(person: Person, passphrase: String)]
    let token: String
    let publicKey: ArchivePublicKey

    static func make() async throws -> ArchiveFixture {
        let h = try await Harness.make()
        var custodians: [(Person, String)] = []
        for i in 1...3 {
            let p = try await h.person("keeper\(i)", roles: [.custodian])
            let passphrase = "custodian passphrase number \(i) " + Credentials.oneTimePassword()
            try await h.system.keyCeremony.setPassphrase(user: p.user, passphrase: passphrase, confirm: passphrase, current: nil,
                                                         actor: Actor(userID: p.user.id, username: p.user.username, role: .custodian, client: "t"))
            custodians.append((p, passphrase))
        }
        _ = try h.system.keyCeremony.startEpoch(custodianIDs: custodians.map(\.0.user.id), threshold: 2, actor: .system("test"))
        let (_, secret) = try h.system.captureTokens.create(name: "test capture", actor: .system("test"))
        let key = try require(try h.system.keyCeremony.currentKey()).key
        return ArchiveFixture(harness: h, custodians: custodians, token: secret, publicKey: key)
    }

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
        try harness.system.store.database.withWriterConnection { db -> [UInt8] in
            let env = try require(try db.queryOne("SELECT header, ephemeral, nonce, ciphertext FROM envelopes WHERE message_id = ?", messageID))
            let hash = try require(try db.queryOne("SELECT ciphertext_hash, epoch FROM messages WHERE id = ?", messageID))
            let epoch = try require(try db.queryOne("SELECT commitments FROM key_epochs WHERE epoch = ?", try hash.int(1)))
            let commitments = try FeldmanCommitments(serialized: try epoch.blob(0))
            let envelope = try Envelope(header: EnvelopeHeader(canonicalEncoding: try env.blob(0)),
                                        ephemeralPublic: Ristretto255.Point(bytes: try env.blob(1)), nonce: try env.blob(2),
                                        ciphertext: try env.blob(3), ciphertextHash: try hash.blob(0))
            var partials: [PartialDecryption] = []
            for i in which {
                let c = custodians[i]
                let share = try require(try db.queryOne("SELECT sealed FROM key_shares WHERE custodian_id = ?", c.person.user.id))
                let wrapped = try require(try db.queryOne("SELECT wrapped FROM custodian_keys WHERE user_id = ?", c.person.user.id))
                partials += try CustodianKey.approve(passphrase: c.passphrase, wrappedKey: WrappedCustodianKey(serialized: try wrapped.blob(0)),
                                                     sealedShare: SealedShare(serialized: try share.blob(0)), commitments: commitments,
                                                     ephemeralKeys: [envelope.ephemeralPublic])
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
