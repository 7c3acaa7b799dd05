import CustosCore
import CustosCrypto
import CustosRuntime
import CustosWeb
import Foundation

/// Key custodians for a benchmark archive: real key files (Argon2id 64 MiB), enrolled devices and a 2-of-3
/// epoch made by their devices through the same ceremony service the API calls. Nothing here is timed.
struct BenchCustodians {
    struct Member {
        var user: User
        var file: CustodianKeyFile
        var passphrase: String
        var device: CustodianDevice
        var actor: Actor { Actor(userID: user.id, username: user.username, role: .custodian, client: "custos-bench") }
    }

    let members: [Member]

    /// Three custodians and their epoch on `system`.
    static func make(system: CustosSystem) async throws -> BenchCustodians {
        let setup = Actor.system("custos-bench")
        var members: [Member] = []
        for i in 1...3 {
            let user = try await system.users.provisionReady(username: "keeper\(i)", displayName: "Keeper \(i)", roles: [.custodian],
                                                             password: Credentials.oneTimePassword(), totpSecret: TOTP.generateSecret(),
                                                             actor: setup)
            let passphrase = "bench custodian passphrase \(i) " + Credentials.oneTimePassword()
            let file = try CustodianKeyFile.create(passphrase: passphrase)
            let member = Member(user: user, file: file, passphrase: passphrase, device: try file.unlock(passphrase: passphrase))
            let code = try system.devices.createEnrolmentCode(user: user, actor: member.actor)
            _ = try system.devices.enrol(code: code, identity: member.device.identity, proof: try member.device.enrolmentProof(code: code),
                                         client: "custos-bench")
            members.append(member)
        }
        let c = try system.ceremonies.propose(kind: .newKey, custodianIDs: members.map(\.user.id), threshold: 2, actor: setup)
        let ceremonySetup = try CeremonySetup(serialized: c.setup)
        let dealings = try members.map { try $0.device.dealer(for: ceremonySetup, previousEpoch: nil).dealing() }
        for (m, d) in zip(members, dealings) {
            try system.ceremonies.commit(id: c.id, digest: d.digest, user: m.user, device: m.device.identity, actor: m.actor)
        }
        for (m, d) in zip(members, dealings) {
            try system.ceremonies.reveal(id: c.id, dealing: d.serialized, user: m.user, device: m.device.identity, actor: m.actor)
        }
        for m in members {
            guard try m.device.receive(dealings, setup: ceremonySetup).isEmpty else { throw BenchError("a benchmark custodian complained") }
            _ = try system.ceremonies.receipt(id: c.id, complaints: [], user: m.user, device: m.device.identity, actor: m.actor)
        }
        let transcript = try system.ceremonies.snapshot(id: c.id).transcript()
        for m in members {
            _ = try system.ceremonies.sign(id: c.id, signature: try m.device.endorse(transcript).signature, user: m.user,
                                           device: m.device.identity, actor: m.actor)
        }
        guard try system.ceremonies.chain().count == 1 else { throw BenchError("the benchmark ceremony left no epoch") }
        // Each device saves its new share to its key file, as `custos custodian ceremony` does.
        let saved = try members.map { m in
            var m = m
            m.file = try m.device.sealed(passphrase: m.passphrase)
            return m
        }
        return BenchCustodians(members: saved)
    }
}
