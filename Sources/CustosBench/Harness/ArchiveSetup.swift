import CustosCore
import CustosCrypto
import CustosRuntime
import CustosWeb
import Foundation

/// A fresh benchmark archive, made through the same services an administrator and the custodians' devices
/// use: three custodians, a 2-of-3 key epoch made without a dealer, a capture token and an auditor with TOTP.
/// Nothing here is timed.
struct ArchiveSetup: Sendable {
    /// The data directory (keys, database, audit head).
    let dataDirectory: String
    /// The capture token's secret, `cst_…`.
    let token: String
    /// The epoch's public key, for measuring real sealing.
    let publicKey: ArchivePublicKey
    /// The auditor who searches: user id, username, password and TOTP secret (enrolled, no forced change).
    let auditor: (id: Int64, username: String, password: String, totpSecret: [UInt8])

    /// Initialises `dataDirectory` (and `database`) and returns what a capture client needs; the system is closed again on return,
    /// so the server process is the only one writing while the clock runs.
    static func make(dataDirectory: String, database: ArchiveDatabase, resources: Resources) async throws -> ArchiveSetup {
        let (system, _) = try await CustosSystem.initialize(dataDirectory: dataDirectory, database: database, resources: resources,
                                                            adminUsername: "bench-admin")
        let actor = Actor.system("custos-bench")
        let custodians = try await BenchCustodians.make(system: system)
        custodians.members.forEach { $0.device.wipe() }
        let (_, secret) = try system.captureTokens.create(name: "custos-bench", actor: actor)
        guard let key = try system.ceremonies.chain().last?.publicKey else { throw BenchError("the key ceremony left no archive key") }
        let password = Credentials.oneTimePassword()
        let totp = TOTP.generateSecret()
        let auditor = try await system.users.provisionReady(username: "auditor", displayName: "Bench Auditor", roles: [.auditor],
                                                            password: password, totpSecret: totp, actor: actor)
        return ArchiveSetup(dataDirectory: dataDirectory, token: secret, publicKey: key,
                            auditor: (auditor.id, auditor.username, password, totp))
    }
}
