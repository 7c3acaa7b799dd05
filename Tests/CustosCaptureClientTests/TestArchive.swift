import CustosCaptureClient
import CustosCore
import CustosCrypto
import CustosRuntime
import CustosStore
import CustosTestSupport
import CustosWeb
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real Custos server on 127.0.0.1 with a fresh data directory, three custodians whose devices made a
/// 2-of-3 key, and a capture token.
struct TestArchive: Sendable {
    let dir: String
    let system: CustosSystem
    let port: Int
    let token: String
    let tokenID: Int64
    let custodians: [TestCustodian]
    /// The trust root capture clients pin (64 zeros when no ceremony ran).
    let trustRoot: String
    /// Where this archive's capture clients remember the newest epoch they accepted.
    let trustState: String

    /// The repository root, symlinks resolved (the scratch build links into it).
    static let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `../shared/corpus` beside the repository.
    static let corpus = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")

    /// The path of a corpus folder, or nil when it is absent (a clone without ../shared).
    static func corpusPath(_ relative: String) -> String? {
        let path = corpus.appendingPathComponent(relative).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Initialises the data directory, runs the key ceremony and creates a capture token; serves nothing yet.
    static func prepare(ceremony: Bool = true) async throws -> TestArchive {
        let dir = NSTemporaryDirectory() + "custos-capture-test-" + UUID().uuidString
        let resources = Resources(root: repoRoot)
        let database = try await TestDatabase.make(resources: resources)
        try await CustosSystem.initialize(dataDirectory: dir, database: database, resources: resources).0.store.close()
        let system = try CustosSystem.open(dataDirectory: dir, database: database, resources: resources)
        var custodians: [TestCustodian] = []
        for name in ["ada", "grace", "edsger"] {
            let user = try await system.users.provisionReady(
                username: name, displayName: name.capitalized, roles: [.custodian], password: Credentials.oneTimePassword(),
                totpSecret: TOTP.generateSecret(), actor: .system("test"))
            custodians.append(try CeremonyDriver.enrol(user, system: system))
        }
        var root = String(repeating: "0", count: 64)
        if ceremony {
            try CeremonyDriver.ceremony(system: system, participants: custodians)
            root = try CeremonyDriver.trustRoot(system)
        }
        let (record, secret) = try system.captureTokens.create(name: "test capture", actor: .system("test"))
        return TestArchive(dir: dir, system: system, port: try freePort(), token: secret, tokenID: record.id, custodians: custodians,
                           trustRoot: root, trustState: NSTemporaryDirectory() + "custos-trust-" + UUID().uuidString + ".json")
    }

    /// Starts the HTTP server; cancel the task to stop it.
    func serve() -> Task<Void, any Error> {
        let system = self.system
        let configuration = WebConfiguration(host: "127.0.0.1", port: port, logLevel: .error)
        return Task {
            let app = try await buildApplication(system: system, configuration: configuration)
            try await app.runService()
        }
    }

    /// Prepares an archive, serves it while `body` runs, then stops the server and removes the directory.
    static func with<T: Sendable>(ceremony: Bool = true, _ body: @Sendable (TestArchive) async throws -> T) async throws -> T {
        let archive = try await prepare(ceremony: ceremony)
        let server = archive.serve()
        defer {
            try? FileManager.default.removeItem(atPath: archive.dir)
            try? FileManager.default.removeItem(atPath: archive.trustState)
        }
        do {
            try await archive.waitUntilReady()
            let result = try await body(archive)
            server.cancel()
            _ = await server.result
            return result
        } catch {
            server.cancel()
            _ = await server.result
            throw error
        }
    }

    /// Polls the chain of epochs until the server answers.
    func waitUntilReady() async throws {
        let patient = RetryPolicy(maximumAttempts: 100, initialDelay: .milliseconds(50), maximumDelay: .milliseconds(100))
        do {
            _ = try await IngestClient.session(server: url, token: token, retry: patient) { try await $0.trustedArchiveKey(trust) }
        } catch CaptureClientError.noArchiveKey {
            // Serving, just without a key ceremony yet.
        }
    }

    /// What this archive's capture clients trust.
    var trust: ArchiveTrust { (try? ArchiveTrust(root: trustRoot, statePath: trustState))! }

    /// An uploader to this server with `token` (this archive's by default).
    func uploader(token: String? = nil, options: CaptureUploader.Options = .init(), retry: RetryPolicy = RetryPolicy()) throws -> CaptureUploader {
        try CaptureUploader(server: url, token: token ?? self.token, trust: trust, options: options, retry: retry)
    }

    /// One integer from a raw SQL query.
    func count(_ sql: String, _ params: [any SQLBindable] = []) throws -> Int {
        try system.withRawDatabase { db in
            Int(try db.query(sql, parameters: params).first?.int(0) ?? 0)
        }
    }

    private static let handedOut = Mutex<Set<UInt16>>([])

    /// A port that was free a moment ago, taken at random below Linux's ephemeral range (32768–60999). A port the
    /// OS hands out had to be given up before our server could bind it, and meanwhile another test's server bound
    /// to port 0 could be given the same one: this test's client then spoke to that other archive (seen in CI as
    /// "epoch 1's transcript hash is not the trust root"). Ports the OS hands out never fall in this range.
    /// Every test of this process asks here, and no port is handed out twice: two tests that drew the same free port
    /// (a test binds its port only after its ceremony, or 600 ms later in the retry test) would otherwise have one's
    /// client speak to the other's archive.
    static func freePort() throws -> Int {
        for _ in 0..<200 {
            let candidate = UInt16.random(in: 20_000..<32_000)
            guard handedOut.withLock({ $0.insert(candidate).inserted }) else { continue }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw TestFailure("socket() failed") }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = candidate.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 }
            }
            if bound { return Int(candidate) }
        }
        throw TestFailure("no free port found in 20000–31999")
    }
}

/// A test set-up step that failed.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
