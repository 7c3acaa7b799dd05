import CustosCaptureClient
import CustosCore
import CustosCrypto
import CustosRuntime
import Foundation

/// The demo's key ceremony, through the same paths a real one takes: each custodian's device enrols over
/// HTTP with a one-time code, an administrator proposes, and the devices run `custos custodian ceremony`'s
/// logic against the serving demo. Returns the trust root.
struct DemoCeremony {
    let system: CustosSystem
    let server: String
    let custodians: [DemoCustodian]
    let users: [User]

    func run() async throws -> String {
        try await waitForServer()
        for (c, user) in zip(custodians, users) {
            let code = try system.devices.createEnrolmentCode(user: user, actor: Actor(userID: user.id, username: user.username,
                                                                                      role: .custodian, client: "local"))
            let device = try KeyFileStore.read(c.keyFile).unlock(passphrase: c.passphrase)
            defer { device.wipe() }
            let proof = try device.enrolmentProof(code: code)
            let identity = device.identity
            _ = try await CustodianClient.session(server: server, sign: { _, _, _ in [] }) {
                try await $0.enrol(code: code, identity: identity, proof: proof)
            }
        }
        _ = try system.ceremonies.propose(kind: .newKey, custodianIDs: users.map(\.id), threshold: 2, actor: .system("custos demo"))
        let server = self.server
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in custodians {
                group.addTask {
                    let file = try KeyFileStore.read(c.keyFile)
                    let device = try file.unlock(passphrase: c.passphrase)
                    defer { device.wipe() }
                    let outcome = try await CustodianClient.session(server: server, sign: { method, path, body in
                        try device.requestHeaders(method: method, path: path, body: body, time: Int64(Date().timeIntervalSince1970))
                    }) { client in
                        try await CeremonyParticipant(device: device, client: client, confirm: { _ in true }, say: { _ in }, persist: {
                            try KeyFileStore.write(try device.sealed(passphrase: c.passphrase, parameters: file.parameters), to: c.keyFile, creating: false)
                        }).run(timeout: .seconds(300), poll: .milliseconds(100))
                    }
                    guard case .active = outcome else { throw StartupError("the demo key ceremony did not complete: \(outcome)") }
                }
            }
            try await group.waitForAll()
        }
        guard let first = try system.ceremonies.chain().first else { throw StartupError("the demo key ceremony left no epoch") }
        return Hex.encode(first.transcript.hash)
    }

    /// The server starts in the task beside this one.
    private func waitForServer() async throws {
        for _ in 0..<100 {
            if (try? await CustodianClient.session(server: server, sign: { _, _, _ in [] }, { client -> Bool in
                let _: [String: String] = try await client.getUnsigned("/healthz")
                return true
            })) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StartupError("the demo server did not start on \(server)")
    }
}
