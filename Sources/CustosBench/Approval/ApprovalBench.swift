import ArgumentParser
import AsyncHTTPClient
import CustosCaptureClient
import CustosCore
import CustosCrypto
import CustosRuntime
import CustosWeb
import Foundation

/// `custos-bench approval`: a custodian approving a decryption request from its own device (issue 17: a
/// 1,000-message request in under 2 s), beside the same partials computed in-process.
///
/// On a fresh archive: three custodians with real key files (Argon2id 64 MiB, t = 3) whose devices made a
/// 2-of-3 epoch, N messages sealed for real and ingested, one request naming all of them, and the server in
/// a process of its own. Timed: what `custos custodian approve` does after reading its key file — unlock it,
/// fetch the request over HTTP, compute every partial with its DLEQ proof on the device, upload them signed,
/// the server checking every proof and signature, sealing, storing and auditing — for the first custodian,
/// and for the second (whose approval also opens the grant: every message's key combined, sealed, partials
/// deleted, the WAL scrubbed). Baseline: unlocking the same key file and computing the same partials
/// in-process, with no HTTP, no checking and no storage.
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

    /// Sets up, measures and adds the rows to `table`.
    static func measure(messages count: Int, dataDirectory dir: String, into table: inout ResultTable) async throws {
        let resources = try Resources.locate()
        let (system, _) = try await CustosSystem.initialize(dataDirectory: dir, resources: resources)
        let setup = Actor.system("custos-bench")
        let custodians = try await BenchCustodians.make(system: system)
        defer { custodians.members.forEach { $0.device.wipe() } }
        guard let key = try system.ceremonies.chain().last?.publicKey else { throw ValidationError("no archive key after the ceremony") }
        let auditor = try await system.users.provisionReady(username: "auditor", displayName: "Auditor", roles: [.auditor],
                                                            password: Credentials.oneTimePassword(), totpSecret: nil, actor: setup)
        let (tokenRecord, _) = try system.captureTokens.create(name: "bench", actor: setup)
        progress("Approval benchmark: sealing and ingesting \(Measure.grouped(count)) messages …")
        var ids: [Int64] = []
        for start in stride(from: 0, to: count, by: 500) {
            var items: [IngestItem] = []
            for i in start..<min(start + 500, count) {
                let header = EnvelopeHeader(uid: "email:approval-\(i)", epoch: key.epoch, platform: "email", sentAt: 1_700_000_000 + Int64(i))
                let plaintext = Array(SearchText.email(i).utf8)
                let envelope = try Envelope.seal(plaintext, header: header, publicKey: key)
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
        let server = try ServerProcess.launch(dataDirectory: dir, database: .sqlite, logPath: (dir as NSString).appendingPathComponent("approval-server.log"))
        defer { kill(server.pid, SIGTERM) }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        try await server.waitUntilReady(http: http, path: "/healthz")
        try await http.shutdown()

        // Custos: what `custos custodian approve` does once it has read its key file, for two custodians.
        var custosSeconds: [Double] = []
        var outcomes: [String] = []
        var task: ApprovalTaskWire?
        for m in custodians.members.prefix(2) {
            let start = Measure.now()
            let device = try m.file.unlock(passphrase: m.passphrase)
            defer { device.wipe() }
            let decision: DecisionWire = try await CustodianClient.session(server: server.url, sign: { method, path, body in
                try device.requestHeaders(method: method, path: path, body: body, time: Int64(Date().timeIntervalSince1970))
            }) { client in
                let fetched: ApprovalTaskWire = try await client.get("/api/v1/custodian/requests/\(request)")
                task = fetched
                return try await client.post("/api/v1/custodian/requests/\(request)/approve", try CustodianApprover.partials(for: fetched, device: device))
            }
            custosSeconds.append(Measure.now() - start)
            outcomes.append(decision.status)
        }
        guard outcomes == ["recorded", "granted"] else { throw ValidationError("the approvals ended \(outcomes), not recorded then granted") }

        // Baseline: unlock the same key file and compute the same partials in-process.
        guard let task else { throw ValidationError("no approval task was fetched") }
        var baseSeconds: [Double] = []
        for m in custodians.members.prefix(2) {
            let start = Measure.now()
            let device = try m.file.unlock(passphrase: m.passphrase)
            _ = try CustodianApprover.partials(for: task, device: device)
            device.wipe()
            baseSeconds.append(Measure.now() - start)
        }
        let n = Measure.grouped(count)
        table.add("custodian approves a \(n)-message request on its device, 1st of 2, s", custos: Measure.fixed(custosSeconds[0], 3),
                  baseline: Measure.fixed(baseSeconds[0], 3), ratio: ResultTable.ratio(custosSeconds[0], baseSeconds[0]),
                  target: "< 2 s", met: custosSeconds[0] < 2)
        table.add("2nd approval (the server opens the grant), s", custos: Measure.fixed(custosSeconds[1], 3),
                  baseline: Measure.fixed(baseSeconds[1], 3), ratio: ResultTable.ratio(custosSeconds[1], baseSeconds[1]),
                  target: "< 2 s", met: custosSeconds[1] < 2)
        table.note("Both columns include unlocking the key file (Argon2id 64 MiB, t = 3); the first adds HTTP, the server's check of "
                   + "every proof and signature, sealing, storing and the audit entry, the second also opening the grant.")

        // Content search inside the grant, in a process of its own once the server has stopped (one writer of the chain).
        kill(server.pid, SIGTERM)
        var status: Int32 = 0
        waitpid(server.pid, &status, 0)
        try system.close()
        let reader = try CustosSystem.open(dataDirectory: dir, resources: resources)
        defer { try? reader.close() }
        try SearchText.measure(reader, request: request, auditor: auditor, messages: count, into: &table)
    }
}
