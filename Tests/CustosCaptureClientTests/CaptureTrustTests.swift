@testable import CustosCrypto
import CustosCaptureClient
import CustosCore
import CustosTestSupport
import CustosWeb
import AsyncHTTPClient
import Foundation
import Hummingbird
import Synchronization
import Testing

/// A server that answers the capture API as an attacker wants (root on the archive server, or anyone in
/// the path of a plain-HTTP capture): a chosen chain of epochs, and a count of uploads that must stay 0.
struct HostileServer: Sendable {
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    /// Serves `chain` until `body` returns.
    static func serving<T: Sendable>(_ chain: ArchiveKeysResponse, _ body: @Sendable (HostileServer) async throws -> T) async throws -> T {
        let port = try TestArchive.freePort()
        let counter = HostileServerCounter()
        let json = try JSONEncoder().encode(chain)
        let router = Router()
        router.get("/api/v1/archive-keys") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        router.get("/healthz") { _, _ in "ok" }
        router.post("/api/v1/messages") { _, _ -> Response in
            counter.add()
            return Response(status: .internalServerError)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: .init(label: "hostile"))
        let task = Task { try await app.runService() }
        defer { task.cancel() }
        for _ in 0..<100 {
            if let r = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(2)),
               r.status == .ok { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let server = HostileServer(port: port)
        let result = try await body(server)
        #expect(counter.count == 0, "the client uploaded to a server whose key it should have refused")
        return result
    }
}

/// Counts uploads the hostile server received.
final class HostileServerCounter: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

/// Capture clients check the chain of epochs from the trust root before sealing anything (P3): a swapped
/// key, a missing signature, a rolled-back epoch and an epoch row slipped into the database are each
/// refused, nothing is uploaded, and `custos capture` exits 2 with one line saying why.
@Suite struct CaptureTrustTests {
    /// The archive's real chain, as its server serves it.
    static func genuineChain(_ archive: TestArchive) async throws -> ArchiveKeysResponse {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: archive.url + "/api/v1/archive-keys"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return try JSONDecoder().decode(ArchiveKeysResponse.self, from: Data(body.readableBytesView))
    }

    /// A chain of one epoch made by devices an attacker holds.
    static func attackersChain() throws -> ArchiveKeysResponse {
        let devices = try (0..<2).map { _ in try CeremonyDriver.device() }
        let setup = try CeremonySetup(kind: .newKey, epoch: 1, threshold: 2, participants: devices.map(\.identity), previousHash: CeremonySetup.noPrevious)
        let dealings = try devices.map { try $0.dealer(for: setup, previousEpoch: nil).dealing() }
        for d in devices { _ = try d.receive(dealings, setup: setup) }
        let transcript = try EpochTranscript(setup: setup, dealings: dealings, previous: nil)
        return ArchiveKeysResponse(epochs: [SignedEpoch(transcript: transcript, signatures: try devices.map { try $0.endorse(transcript) })])
    }

    /// `custos capture` against `url` with the archive's root: its exit status and output.
    static func capture(_ url: String, _ archive: TestArchive) async throws -> CaptureCommandTests.Run {
        let (folder, _) = try CaptureCommandTests.sampleFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await CaptureCommandTests.run(["capture", "--server", url, "--trust", archive.trustRoot, "--trust-state", archive.trustState,
                                                  "--format", "eml", folder], environment: ["CUSTOS_CAPTURE_TOKEN": archive.token])
    }

    static func expectRefused(_ run: CaptureCommandTests.Run, _ reason: String) {
        #expect(run.status == 2, "exit status \(run.status)")
        let lines = run.stderr.split(separator: "\n").filter { !$0.hasPrefix("rejected:") }
        #expect(lines.count == 1 && lines[0].contains("refusing the archive key, nothing was uploaded") && lines[0].contains(reason), "\(run.stderr)")
        #expect(run.lastLine.hasPrefix("captured 0, duplicates 0,"), "\(run.lastLine)")
    }

    @Test("a key swapped by the server or the network is refused", .enabled(if: CaptureCommandTests.executable != nil))
    func swappedKey() async throws {
        try await TestArchive.with { archive in
            try await HostileServer.serving(try Self.attackersChain()) { hostile in
                Self.expectRefused(try await Self.capture(hostile.url, archive), "is not the trust root")
                let uploader = try CaptureUploader(server: hostile.url, token: archive.token, trust: archive.trust)
                await #expect(throws: CaptureClientError.self) { try await uploader.run(Samples.emails(1)) }
            }
            // The same forged chain through the library: nothing sealed, the reason named.
            let trust = archive.trust
            #expect(throws: CaptureClientError.self) { try trust.accept(try Self.attackersChain()) }
        }
    }

    @Test("a missing signature is refused", .enabled(if: CaptureCommandTests.executable != nil))
    func missingSignature() async throws {
        try await TestArchive.with { archive in
            let genuine = try await Self.genuineChain(archive)
            let first = genuine.epochs[0]
            let unsigned = ArchiveKeysResponse(epochs: [SignedEpoch(transcript: first.transcript, signatures: Array(first.signatures.dropFirst()))])
            try await HostileServer.serving(unsigned) { hostile in
                Self.expectRefused(try await Self.capture(hostile.url, archive), "lacks a valid signature of its custodian")
            }
        }
    }

    @Test("an epoch older than one accepted before is refused", .enabled(if: CaptureCommandTests.executable != nil))
    func rolledBack() async throws {
        try await TestArchive.with { archive in
            let genuine = try await Self.genuineChain(archive)
            // The custodians rotate to a new key, endorsed by the old set; the client captures and remembers epoch 2.
            let fresh = try await (1...2).asyncMap { i in
                try CeremonyDriver.enrol(try await archive.system.users.provisionReady(
                    username: "rotated\(i)", displayName: "Rotated \(i)", roles: [.custodian], password: Credentials.oneTimePassword(),
                    totpSecret: TOTP.generateSecret(), actor: .system("test")), system: archive.system)
            }
            try CeremonyDriver.ceremony(system: archive.system, participants: fresh, endorsers: archive.custodians)
            let now = try await archive.uploader().run(Samples.emails(1))
            #expect(now.captured == 1)
            // A server that goes back to epoch 1 (a genuine, signed, older chain) is refused.
            try await HostileServer.serving(genuine) { hostile in
                Self.expectRefused(try await Self.capture(hostile.url, archive), "older than epoch 2")
            }
        }
    }

    @Test("an epoch row INSERTed behind the application is refused", .enabled(if: CaptureCommandTests.executable != nil))
    func insertedRow() async throws {
        try await TestArchive.with { archive in
            let genuine = try await Self.genuineChain(archive)
            let forged = try Self.attackersChain().epochs[0].transcript
            try archive.system.withRawDatabase { db in
                _ = try db.run("""
                    INSERT INTO key_epochs (epoch, threshold, share_count, public_key, commitments, created_at, created_by, kind,
                                            previous_epoch, transcript, transcript_hash) VALUES (2, 2, 2, ?, ?, 0, 'root', 'new_key', 1, ?, ?)
                    """, ArchivePublicKey(serialized: forged.publicKey.serialized).serialized, forged.feldman.serialized, forged.serialized, forged.hash)
            }
            // The archive's own server serves no key while its chain does not verify: the client stops, nothing sealed.
            let run = try await Self.capture(archive.url, archive)
            #expect(run.status == 2 && run.stderr.contains("does not verify"), "\(run.stderr)")
            #expect(try archive.count("SELECT count(*) FROM messages") == 0)
            // Served anyway (say by a patched server), the row's epoch fails the client's own check.
            let withRow = ArchiveKeysResponse(epochs: genuine.epochs + [SignedEpoch(transcript: forged, signatures: [])])
            try await HostileServer.serving(withRow) { hostile in
                Self.expectRefused(try await Self.capture(hostile.url, archive), "epoch 1")
            }
        }
    }
}

extension Sequence {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async throws -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
