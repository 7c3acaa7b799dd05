import CustosCore
import CustosCrypto
import CustosRuntime
import CustosTestSupport
import CustosWeb
import Foundation
import Testing

/// P1 and P6 for the secrets of this layer: no password, session token or TOTP secret in the
/// database file or its WAL; no default credentials anywhere.
@Suite struct SecretsAtRestTests {
    /// Every byte the archive's database keeps on disk, on either engine (`TestDatabase.storageFiles`).
    static func bytes(ofDatabaseOf system: CustosSystem) throws -> [UInt8] {
        var all: [UInt8] = []
        for path in try TestDatabase.storageFiles(system) {
            if let d = FileManager.default.contents(atPath: path) { all += [UInt8](d) }
        }
        return all
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return ByteSearch.contains(haystack, needle)
    }

    @Test func passwordsTokensAndTOTPSecretsNeverReachTheDatabaseInClear() async throws {
        let h = try await Harness.make()
        let p = try await h.person("cato", roles: [.custodian])
        let secret = try #require(p.totpSecret)
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("cato", p.password, totp: h.code(secret))
            let sessionToken = try #require(await b.cookies["custos_session"])
            let newPassword = "a much longer passphrase 42"
            try await b.get("/account/password")
            try await b.post("/account/password", [("current_password", p.password), ("new_password", newPassword), ("confirm_password", newPassword)])
            let db = try Self.bytes(ofDatabaseOf: h.system)
            #expect(!db.isEmpty)
            for (label, needle) in [("one-time password", h.admin.oneTimePassword), ("password", p.password),
                                    ("new password", newPassword), ("session token", sessionToken),
                                    ("TOTP secret (base32)", Base32.encode(secret))] {
                #expect(!Self.contains(db, Array(needle.utf8)), "\(label) found in the database")
            }
            #expect(!Self.contains(db, secret), "raw TOTP secret found in the database")
            #expect(Self.contains(db, SecretToken.hash(sessionToken)), "the token's hash should be what is stored")
            try Self.checkKeys(h)
        }
    }

    static func checkKeys(_ h: Harness) throws {
        let keys = try FileManager.default.contentsOfDirectory(atPath: h.dir + "/keys")
        for name in keys where name.hasSuffix(".key") {
            let attrs = try FileManager.default.attributesOfItem(atPath: h.dir + "/keys/" + name)
            #expect((attrs[.posixPermissions] as? Int) == 0o600, "\(name) must be mode 0600")
            let key = try #require(FileManager.default.contents(atPath: h.dir + "/keys/" + name))
            #expect(!Self.contains(try Self.bytes(ofDatabaseOf: h.system), [UInt8](key)), "server key \(name) is in the database")
        }
    }

    @Test func everyInitialisationHasItsOwnOneTimeAdminPasswordThatMustBeChanged() async throws {
        let a = try await Harness.make()
        let b = try await Harness.make()
        defer {
            try? FileManager.default.removeItem(atPath: a.dir)
            try? FileManager.default.removeItem(atPath: b.dir)
        }
        #expect(a.admin.oneTimePassword != b.admin.oneTimePassword)
        #expect(a.admin.oneTimePassword.count >= 20)
        #expect(a.admin.user.mustChangePassword)
        #expect(try a.system.users.all().count == 1)  // no other account exists
        // The stored hash is Argon2id with at least the required parameters.
        let stored = try #require(try a.system.users.find(id: a.admin.user.id)).passwordHash
        #expect(stored.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        // Server keys differ between installations too.
        let ka = FileManager.default.contents(atPath: a.dir + "/keys/metadata.key")
        let kb = FileManager.default.contents(atPath: b.dir + "/keys/metadata.key")
        #expect(ka != nil && ka != kb)
    }

    @Test func initRefusesAnExistingDataDirectory() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        await #expect(throws: StartupError.self) {
            _ = try await CustosSystem.initialize(dataDirectory: h.dir, resources: Resources(root: Harness.repoRoot))
        }
    }

    @Test func sourceTreeShipsNoCredentials() throws {
        // No password literal sits in the code paths that create accounts.
        let sources = Harness.repoRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(!files.isEmpty)
        for f in files {
            let text = try String(contentsOf: sources.appendingPathComponent(f), encoding: .utf8)
            #expect(text.firstMatch(of: /(?im)\b(password|passphrase|secret)\s*[:=]\s*"[^"\s\/]{4,}"\s*(,|\)|$)/) == nil, "possible hard-coded password in \(f)")
        }
    }
}
