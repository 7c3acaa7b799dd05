import ArgumentParser
import CustosCore
import CustosCrypto
import CustosWeb
import Foundation

/// `custos-bench approval`: the server work of approving a decryption request (issue 5: a
/// 1,000-message request approved in ≤ 1 s), beside the bare cryptography the same approval needs.
///
/// In one process, on a fresh archive: three custodians (passphrases under Argon2id 64 MiB, TOTP),
/// a 2-of-3 epoch, N messages sealed for real and ingested, one request naming all of them. Timed:
/// `DecryptionService.approve` for the first custodian (re-authentication, unwrap, partials with
/// proofs, sealing, storing, audit) and for the second (the same, plus combining every message's
/// partials into its key, sealing the grant's keys, deleting partials, scrubbing the WAL). Baseline:
/// `CustodianKey.approve` on the same R values (Argon2id, unwrap, partials with proofs) and, for the
/// second, plus `Envelope.messageKey` for each message: no storage, no audit, no sealing.
struct ApprovalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "approval", abstract: "Time approving a decryption request.")

    @Option(help: "Messages named by the request.") var messages = 1_000
    @Option(help: "Directory for the archive (default: a new temporary directory, removed afterwards).") var workdir: String?

    func run() async throws {
        let dir = workdir ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("custos-approval-\(UUID().uuidString.prefix(8))")
        defer { if workdir == nil { try? FileManager.default.removeItem(atPath: dir) } }
        var table = ResultTable.comparison()
        try await Self.measure(messages: messages, dataDirectory: dir, into: &table)
        print(table.render())
    }

    struct Custodian {
        var user: User
        var passphrase: String
        var totp: [UInt8]
    }

    /// Sets up, measures and adds the rows to `table`.
    static func measure(messages count: Int, dataDirectory dir: String, into table: inout ResultTable) async throws {
        let resources = try Resources.locate()
        let (system, _) = try await CustosSystem.initialize(dataDirectory: dir, resources: resources)
        let setup = Actor.system("custos-bench")
        var custodians: [Custodian] = []
        for i in 1...3 {
            let secret = TOTP.generateSecret()
            let user = try await system.users.provisionReady(username: "keeper\(i)", displayName: "Keeper \(i)", roles: [.custodian],
                                                             password: Credentials.oneTimePassword(), totpSecret: secret, actor: setup)
            let passphrase = "bench custodian passphrase \(i) " + Credentials.oneTimePassword()
            try await system.keyCeremony.setPassphrase(user: user, passphrase: passphrase, confirm: passphrase, current: nil,
                                                       actor: Actor(userID: user.id, username: user.username, role: .custodian, client: "bench"))
            custodians.append(Custodian(user: user, passphrase: passphrase, totp: secret))
        }
        _ = try system.keyCeremony.startEpoch(custodianIDs: custodians.map(\.user.id), threshold: 2, actor: setup)
        guard let key = try system.keyCeremony.currentKey()?.key else { throw ValidationError("no archive key after the ceremony") }
        let auditor = try await system.users.provisionReady(username: "auditor", displayName: "Auditor", roles: [.auditor],
                                                            password: Credentials.oneTimePassword(), totpSecret: nil, actor: setup)
        let (tokenRecord, _) = try system.captureTokens.create(name: "bench", actor: setup)
        progress("Approval benchmark: sealing and ingesting \(Measure.grouped(count)) messages …")
        var ids: [Int64] = []
        var ephemerals: [Ristretto255.Point] = []
        var headers: [EnvelopeHeader] = []
        for start in stride(from: 0, to: count, by: 500) {
            var items: [IngestItem] = []
            for i in start..<min(start + 500, count) {
                let header = EnvelopeHeader(uid: "email:approval-\(i)", epoch: key.epoch, platform: "email", sentAt: 1_700_000_000 + Int64(i))
                let plaintext = Array("Message \(i) of the approval benchmark.".utf8)
                let envelope = try Envelope.seal(plaintext, header: header, publicKey: key)
                ephemerals.append(envelope.ephemeralPublic)
                headers.append(header)
                items.append(IngestItem(
                    uid: header.uid, epoch: key.epoch, platform: "email", conversation: "<bench-\(i / 20)@example.com>", direction: "unknown",
                    sentAt: header.sentAt, size: plaintext.count, attachmentCount: 0, mediaTypes: [],
                    participants: [IngestParticipant(address: "person\(i % 50)@example.com", name: nil, part: "from")],
                    envelope: IngestEnvelope(ephemeral: Data(envelope.ephemeralPublic.bytes).base64EncodedString(),
                                             nonce: Data(envelope.nonce).base64EncodedString(),
                                             ciphertext: Data(envelope.ciphertext).base64EncodedString(),
                                             ciphertextHash: Data(envelope.ciphertextHash).base64EncodedString())))
            }
            let results = try system.ingest.ingest(items, token: tokenRecord, client: "bench")
            if let rejected = results.first(where: { $0.status == .rejected }) {
                throw ValidationError("the benchmark's message was rejected: \(rejected.reason ?? "no reason")")
            }
            ids += results.compactMap(\.id)
        }
        guard ids.count == count else { throw ValidationError("only \(ids.count) of \(count) messages were stored") }
        let request = try system.decryption.file(messageIDs: ids, justification: "Benchmark of approving a decryption request.",
                                                 reference: "BENCH", hours: 1, user: auditor,
                                                 actor: Actor(userID: auditor.id, username: auditor.username, role: .auditor, client: "bench"))

        // Custos: the two approvals, through the service the web app calls.
        var custosSeconds: [Double] = []
        var custosCPU: [Double] = []
        for c in custodians.prefix(2) {
            guard let user = try system.users.find(id: c.user.id) else { throw ValidationError("custodian vanished") }
            let code = TOTP(secret: c.totp).code(at: Date())
            let cpu = Measure.ownCPUSeconds()
            let start = Measure.now()
            _ = try await system.decryption.approve(id: request, passphrase: c.passphrase, totp: code, user: user,
                                                    actor: Actor(userID: user.id, username: user.username, role: .custodian, client: "bench"))
            custosSeconds.append(Measure.now() - start)
            custosCPU.append(Measure.ownCPUSeconds() - cpu)
        }
        guard try system.decryption.detail(id: request, user: auditor, role: .auditor).record.status == .granted else {
            throw ValidationError("the request was not granted after two approvals")
        }

        // Baseline: the same cryptography with nothing around it.
        let epoch = try require(try system.archive.read { try $0.keys.epoch(key.epoch) })
        let commitments = try FeldmanCommitments(serialized: epoch.commitments)
        let shares = try system.archive.read { try $0.keys.shares(epoch: key.epoch) }
        var baseSeconds: [Double] = []
        var partialsByCustodian: [[PartialDecryption]] = []
        for c in custodians.prefix(2) {
            let wrapped = try WrappedCustodianKey(serialized: try require(try system.archive.read { try $0.keys.custodianKey(userID: c.user.id) }))
            let share = try SealedShare(serialized: try require(shares.first { $0.custodianID == c.user.id }?.sealed))
            let start = Measure.now()
            let partials = try CustodianKey.approve(passphrase: c.passphrase, wrappedKey: wrapped, sealedShare: share,
                                                    commitments: commitments, ephemeralKeys: ephemerals)
            if partialsByCustodian.count == 1 {
                let publicShares = try commitments.publicShares()
                for i in ephemerals.indices {
                    _ = try Envelope.messageKey(header: headers[i], ephemeralPublic: ephemerals[i],
                                                partials: [partialsByCustodian[0][i], partials[i]], commitments: commitments,
                                                publicShares: publicShares)
                }
            }
            baseSeconds.append(Measure.now() - start)
            partialsByCustodian.append(partials)
        }
        let n = Measure.grouped(count)
        table.add("approve a \(n)-message request, 1st of 2, s (vs bare crypto)", custos: Measure.fixed(custosSeconds[0], 3),
                  baseline: Measure.fixed(baseSeconds[0], 3), ratio: ResultTable.ratio(custosSeconds[0], baseSeconds[0]),
                  target: "≤ 1 s", met: custosSeconds[0] <= 1)
        table.add("approve a \(n)-message request, 2nd (opens the grant), s", custos: Measure.fixed(custosSeconds[1], 3),
                  baseline: Measure.fixed(baseSeconds[1], 3), ratio: ResultTable.ratio(custosSeconds[1], baseSeconds[1]),
                  target: "≤ 1 s", met: custosSeconds[1] <= 1)
        table.note("Approval CPU (all threads): \(Measure.fixed(custosCPU[0], 3)) s and \(Measure.fixed(custosCPU[1], 3)) s; each includes "
                   + "one Argon2id (64 MiB, t = 3) unwrapping the custodian key.")
    }
}

private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw ValidationError("benchmark set-up: a value is missing") }
    return value
}
