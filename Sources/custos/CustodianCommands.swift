import ArgumentParser
import CustosCaptureClient
import CustosCore
import CustosCrypto
import Foundation

/// `custos custodian …`: run on a key custodian's own machine. The key file never leaves it; the server
/// sees public keys, signatures, proofs and partial decryptions only.
struct Custodian: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A key custodian's own device: its key file, enrolment, key ceremonies and approvals.",
        discussion: "The passphrase is read from the terminal, or from CUSTOS_KEY_PASSPHRASE when there is none (scripts).",
        subcommands: [Init.self, Enrol.self, Ceremony.self, Requests.self, Approve.self, Fingerprint.self])

    /// `custos custodian init`.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create this device's custodian key file (mode 0600), sealed under a passphrase.")
        @Option(help: "The key file to create.") var key: String

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: key) else { throw ValidationError("\(key) exists; refusing to overwrite a key file") }
            let passphrase = try KeyPassphrase.read(confirm: true)
            let file = try CustodianKeyFile.create(passphrase: passphrase)
            try KeyFileStore.write(file, to: key, creating: true)
            say("Created \(key).\nDevice fingerprint: \(file.identity.fingerprint)\n"
                + "Next: sign in to Custos, open “Custodian device”, create an enrolment code and run\n"
                + "  custos custodian enrol --server URL --key \(key) --code CODE")
        }
    }

    /// `custos custodian enrol`.
    struct Enrol: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register this device's public keys with your account, using a one-time code from the web.")
        @OptionGroup var device: DeviceOptions
        @Option(help: "The one-time enrolment code shown on your Custodian device page.") var code: String

        func run() async throws {
            let (_, unlocked) = try device.unlock()
            defer { unlocked.wipe() }
            let proof = try unlocked.enrolmentProof(code: code)
            let identity = unlocked.identity
            let (username, fingerprint) = try await device.session(unlocked) { try await $0.enrol(code: code, identity: identity, proof: proof) }
            guard fingerprint == identity.fingerprint else {
                throw CustodianClientError.ceremony("the server registered fingerprint \(fingerprint), not this device's \(identity.fingerprint)")
            }
            say("Enrolled for \(username). Device fingerprint: \(fingerprint)\nCompare it with the fingerprint your Custodian device page shows now.")
        }
    }

    /// `custos custodian ceremony`.
    struct Ceremony: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take this device's part in the key ceremony in progress, until it ends.",
            discussion: "Commits, deals, checks the shares it receives (complaining with proof about a bad one) and signs the transcript; "
                + "as a custodian of the epoch before, endorses the new epoch after showing who will hold it.")
        @OptionGroup var device: DeviceOptions
        @Flag(help: "Endorse without asking (scripts); by default a terminal is asked to confirm.") var yes = false
        @Option(help: "Give up after this many seconds.") var timeout = 1800
        @Option(help: "Milliseconds between looks at the ceremony.") var pollMs = 1000

        func run() async throws {
            let (file, unlocked, passphrase) = try device.unlockKeepingPassphrase()
            defer { unlocked.wipe() }
            let path = device.key
            let interactive = isatty(0) == 1 && !yes
            let outcome = try await device.session(unlocked) { client in
                try await CeremonyParticipant(device: unlocked, client: client, confirm: { question in
                    say(question)
                    guard interactive else { return true }
                    FileHandle.standardOutput.write(Data("Endorse? [y/N] ".utf8))
                    return readLine()?.lowercased().hasPrefix("y") == true
                }, say: { say($0) }, persist: {
                    try KeyFileStore.write(try unlocked.sealed(passphrase: passphrase, parameters: file.parameters), to: path, creating: false)
                }).run(timeout: .seconds(timeout), poll: .milliseconds(pollMs))
            }
            switch outcome {
            case .active(let epoch, let hash, let root):
                say("Epoch \(epoch) is in force. Transcript hash: \(hash)")
                if let root { say("Trust root for capture clients (hand it over out of band): \(root)") }
            case .failed(let reason):
                say("The ceremony did not complete: \(reason)")
                throw ExitCode(1)
            }
        }
    }

    /// `custos custodian requests`.
    struct Requests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List decryption requests waiting for custodians.")
        @OptionGroup var device: DeviceOptions

        func run() async throws {
            let (_, unlocked) = try device.unlock()
            defer { unlocked.wipe() }
            let list: PendingRequestsWire = try await device.session(unlocked) { try await $0.get("/api/v1/custodian/requests") }
            if list.requests.isEmpty { say("No request is waiting for custodians.") }
            for r in list.requests {
                say("request \(r.id): \(r.messages) messages for \(r.requester) (\(r.reference)), \(r.hours) h, \(r.approvals) of \(r.needed) approvals, "
                    + "lapses \(ISO8601.day(r.approveBy))" + (r.blocker.map { " — you cannot decide: \($0)" } ?? ""))
            }
        }
    }

    /// `custos custodian approve`.
    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a decryption request, then approve it with partial decryptions computed here (or reject it).")
        @OptionGroup var device: DeviceOptions
        @Flag(help: "Reject the request instead (give --reason).") var reject = false
        @Option(help: "Why you reject it (5 to 2,000 characters).") var reason: String?
        @Argument(help: "The request number.") var request: Int64

        func validate() throws {
            if reject, (reason ?? "").trimmingCharacters(in: .whitespaces).count < 5 { throw ValidationError("--reject needs --reason of at least 5 characters") }
        }

        func run() async throws {
            let (_, unlocked) = try device.unlock()
            defer { unlocked.wipe() }
            let id = request
            let interactive = isatty(0) == 1
            let decision: DecisionWire = try await device.session(unlocked) { client in
                let task: ApprovalTaskWire = try await client.get("/api/v1/custodian/requests/\(id)")
                say("""
                    Request \(task.id) by \(task.requester): \(task.items.count) messages sent \(task.firstSentAt.map(ISO8601.day) ?? "?") to \
                    \(task.lastSentAt.map(ISO8601.day) ?? "?"), for \(task.hours) h; \(task.approvals) of \(task.threshold) approvals so far.
                    Reference: \(task.reference)
                    Justification: \(task.justification)
                    """)
                if reject { return try await client.post("/api/v1/custodian/requests/\(id)/reject", RejectionWire(reason: reason ?? "")) }
                if interactive {
                    FileHandle.standardOutput.write(Data("Approve? [y/N] ".utf8))
                    guard readLine()?.lowercased().hasPrefix("y") == true else { throw CustodianClientError.ceremony("not approved") }
                }
                let wire = try CustodianApprover.partials(for: task, device: unlocked)
                return try await client.post("/api/v1/custodian/requests/\(id)/approve", wire)
            }
            switch decision.status {
            case "granted": say("Approved. Your approval completed the request: the grant is open until \(decision.expiresAt.map(ISO8601.day) ?? "its end").")
            case "rejected": say("Rejected. The request is closed.")
            default: say("Approved (\(decision.approvals ?? 0) of \(decision.needed ?? 0)). The content stays closed until enough custodians approve.")
            }
        }
    }

    /// `custos custodian fingerprint`.
    struct Fingerprint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a key file's device fingerprint (no passphrase needed).")
        @Option(help: "The key file.") var key: String

        func run() async throws { say(try KeyFileStore.read(key).identity.fingerprint) }
    }
}

/// `--server` and `--key`, shared by the custodian commands that talk to the server.
struct DeviceOptions: ParsableArguments {
    @Option(help: "The Custos server, e.g. http://127.0.0.1:8080.") var server: String
    @Option(help: "This device's key file (custos custodian init).") var key: String

    func unlock() throws -> (CustodianKeyFile, CustodianDevice) {
        let (file, device, _) = try unlockKeepingPassphrase()
        return (file, device)
    }

    func unlockKeepingPassphrase() throws -> (CustodianKeyFile, CustodianDevice, String) {
        let file = try KeyFileStore.read(key)
        let passphrase = try KeyPassphrase.read(confirm: false)
        do { return (file, try file.unlock(passphrase: passphrase), passphrase) } catch CryptoError.authenticationFailed {
            throw ValidationError("the passphrase does not open \(key)")
        }
    }

    /// A session whose every request this device signs.
    func session<T>(_ device: CustodianDevice, _ body: (CustodianClient) async throws -> T) async throws -> T {
        try await CustodianClient.session(server: server, sign: { method, path, bytes in
            try device.requestHeaders(method: method, path: path, body: bytes, time: Int64(Date().timeIntervalSince1970))
        }, body)
    }
}
