import CustosCore
import CustosCrypto
import CustosWeb
import Foundation

/// A fresh benchmark archive, made through the same services an administrator uses: three custodians
/// with passphrases, a 2-of-3 key epoch, a capture token and an auditor with TOTP. Nothing here is timed.
struct ArchiveSetup: Sendable {
    /// The data directory (keys, database, audit head).
    let dataDirectory: String
    /// The capture token's secret, `cst_…`.
    let token: String
    /// The epoch's public key, for measuring real sealing.
    let publicKey: ArchivePublicKey
    /// The auditor who searches: user id, username, password and TOTP secret (enrolled, no forced change).
    let auditor: (id: Int64, username: String, password: String, totpSecret: [UInt8])

    /// Initialises `dataDirectory` and returns what a capture client needs; the system is closed again on return,
    /// so the server process is the only one writing while the clock runs.
    static func make(dataDirectory: String, resources: Resources) async throws -> ArchiveSetup {
        let (system, _) = try await CustosSystem.initialize(dataDirectory: dataDirectory, resources: resources,
                                                            adminUsername: "bench-admin")
        let actor = Actor.system("custos-bench")
        var ids: [Int64] = []
        for i in 1...3 {
            let password = Credentials.oneTimePassword()
            let user = try await system.users.provisionReady(username: "keeper\(i)", displayName: "Keeper \(i)", roles: [.custodian],
                                                             password: password, totpSecret: TOTP.generateSecret(), actor: actor)
            let passphrase = "benchmark custodian passphrase \(i) " + Credentials.oneTimePassword()
            try await system.keyCeremony.setPassphrase(user: user, passphrase: passphrase, confirm: passphrase, current: nil,
                                                       actor: Actor(userID: user.id, username: user.username, role: .custodian,
                                                                    client: "custos-bench"))
            ids.append(user.id)
        }
        _ = try system.keyCeremony.startEpoch(custodianIDs: ids, threshold: 2, actor: actor)
        let (_, secret) = try system.captureTokens.create(name: "custos-bench", actor: actor)
        guard let key = try system.keyCeremony.currentKey()?.key else { throw BenchError("the key ceremony left no archive key") }
        let password = Credentials.oneTimePassword()
        let totp = TOTP.generateSecret()
        let auditor = try await system.users.provisionReady(username: "auditor", displayName: "Bench Auditor", roles: [.auditor],
                                                            password: password, totpSecret: totp, actor: actor)
        return ArchiveSetup(dataDirectory: dataDirectory, token: secret, publicKey: key,
                            auditor: (auditor.id, auditor.username, password, totp))
    }
}
