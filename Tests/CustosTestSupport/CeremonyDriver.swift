@testable import CustosCrypto
import CustosCore
import CustosRuntime
import Foundation
import Synchronization

/// A custodian in a test: its account and its device's secret state, held in memory (no key file, so no
/// Argon2 cost). `Sendable` so archives holding custodians can cross into test closures: the device is
/// rebuilt from its state for each use and its state kept after it.
public final class TestCustodian: Sendable {
    public let user: User
    public let identity: DeviceIdentity
    private let state: Mutex<[UInt8]>

    init(user: User, device: CustodianDevice) throws {
        self.user = user
        identity = device.identity
        state = Mutex(try device.plaintext())
    }

    /// Runs `body` with the device; whatever it learns (a share, a forgotten one) is kept.
    public func withDevice<R>(_ body: (CustodianDevice) throws -> R) throws -> R {
        try state.withLock { bytes in
            let device = try CustodianDevice(plaintext: bytes)
            let result = try body(device)
            bytes = try device.plaintext()
            return result
        }
    }

    /// Every secret the device holds, as bytes: its encryption secret y, its signing seed and each share
    /// (for tests that look for them where they must not be).
    public func secrets() throws -> [[UInt8]] {
        try withDevice { device in
            var r = try ThresholdWire.Reader(try device.plaintext(), version: 1, what: "custodian key")
            var out = [try r.fixed(32), try r.fixed(32)]
            for _ in 0..<(try r.u32()) {
                _ = try r.i64()
                _ = try r.u32()
                out.append(try r.fixed(32))
            }
            return out
        }
    }

    /// The actor its device requests act as.
    public var actor: Actor { Actor(userID: user.id, username: user.username, role: .custodian, client: "test-device") }
}

/// Drives enrolment, key ceremonies and approvals through the same services the device API calls, with
/// in-memory devices: tests get real epochs made without a dealer, in milliseconds.
public enum CeremonyDriver {
    /// A fresh in-memory device.
    public static func device() throws -> CustodianDevice {
        try CustodianDevice.generate()
    }

    /// A new device for `user`, not enrolled yet (a test enrols it over HTTP, as the CLI does).
    public static func unenrolled(_ user: User) throws -> TestCustodian {
        try TestCustodian(user: user, device: try device())
    }

    /// Enrols a new device for `user` with a one-time code, as `custos custodian enrol` does.
    public static func enrol(_ user: User, system: CustosSystem) throws -> TestCustodian {
        let device = try device()
        let actor = Actor(userID: user.id, username: user.username, role: .custodian, client: "test")
        let code = try system.devices.createEnrolmentCode(user: user, actor: actor)
        _ = try system.devices.enrol(code: code, identity: device.identity, proof: try device.enrolmentProof(code: code), client: "test")
        return try TestCustodian(user: user, device: device)
    }

    /// Proposes and carries out a ceremony: every participant commits, reveals, receives and signs; `endorsers`
    /// (custodians of the epoch before who are not participants) sign too. Returns the epoch in force.
    @discardableResult
    public static func ceremony(_ kind: CeremonySetup.Kind = .newKey, system: CustosSystem, participants: [TestCustodian], threshold: Int = 2,
                                dealers: [TestCustodian] = [], endorsers: [TestCustodian] = []) throws -> VerifiedEpoch {
        let c = try system.ceremonies.propose(kind: kind, custodianIDs: participants.map(\.user.id), threshold: threshold, actor: .system("test"))
        let setup = try CeremonySetup(serialized: c.setup)
        let dealingParties = kind == .newKey ? participants : dealers
        var dealings: [Dealing] = []
        for p in dealingParties {
            let dealing = try p.withDevice { try $0.dealer(for: setup, previousEpoch: c.previousEpoch).dealing() }
            try system.ceremonies.commit(id: c.id, digest: dealing.digest, user: p.user, device: p.identity, actor: p.actor)
            dealings.append(dealing)
        }
        for (p, dealing) in zip(dealingParties, dealings) {
            try system.ceremonies.reveal(id: c.id, dealing: dealing.serialized, user: p.user, device: p.identity, actor: p.actor)
        }
        for p in participants {
            let complaints = try p.withDevice { try $0.receive(dealings, setup: setup) }
            _ = try system.ceremonies.receipt(id: c.id, complaints: complaints, user: p.user, device: p.identity, actor: p.actor)
        }
        guard let transcript = try system.ceremonies.snapshot(id: c.id).transcriptIfComplete() else {
            throw CryptoError.invalidInput("the ceremony did not reach the signing stage")
        }
        var signers = participants
        for e in endorsers + dealers where !signers.contains(where: { $0.user.id == e.user.id }) { signers.append(e) }
        var epoch: VerifiedEpoch?
        for p in signers where epoch == nil {
            let signature = try p.withDevice { try $0.endorse(transcript).signature }
            epoch = try system.ceremonies.sign(id: c.id, signature: signature, user: p.user, device: p.identity, actor: p.actor)
        }
        guard let epoch else { throw CryptoError.invalidInput("the epoch did not come into force") }
        if kind == .redistribution, let old = c.previousEpoch { for d in dealers { try d.withDevice { $0.forgetShare(epoch: old) } } }
        return epoch
    }

    /// Approves `requestID` with partials computed on `custodian`'s device, as `custos custodian approve` does.
    @discardableResult
    public static func approve(_ requestID: Int64, by custodian: TestCustodian, system: CustosSystem) async throws -> DecryptionService.ApprovalOutcome {
        let task = try system.decryption.approvalTask(id: requestID, user: custodian.user, actor: custodian.actor)
        var partials: [Int64: PartialDecryption] = [:]
        for (epoch, commitments) in task.commitments {
            let items = task.items.filter { $0.epoch == epoch }
            let points = try items.map { try Ristretto255.Point(bytes: $0.ephemeral) }
            let made = try custodian.withDevice { try $0.partialDecryptions(commitments: commitments, ephemeralKeys: points) }
            for (item, partial) in zip(items, made) { partials[item.messageID] = partial }
        }
        return try await system.decryption.approve(id: requestID, partials: partials, user: custodian.user,
                                                   device: custodian.identity, actor: custodian.actor)
    }

    /// A device's share of `epoch` as a scalar: for tests that look for it where it must not be.
    public static func shareScalar(of device: CustodianDevice, epoch: Int) throws -> Ristretto255.Scalar {
        var found: Ristretto255.Scalar?
        var r = try ThresholdWire.Reader(try device.plaintext(), version: 1, what: "custodian key")
        _ = try r.fixed(64)
        for _ in 0..<(try r.u32()) {
            let e = Int(try r.i64())
            _ = try r.u32()
            let s = try Ristretto255.Scalar(canonicalBytes: r.fixed(32))
            if e == epoch { found = s }
        }
        guard let found else { throw CryptoError.invalidInput("no share of epoch \(epoch)") }
        return found
    }

    /// The trust root of the archive's chain, as hex.
    public static func trustRoot(_ system: CustosSystem) throws -> String {
        guard let first = try system.ceremonies.chain().first else { throw CryptoError.invalidInput("no epoch yet") }
        return Hex.encode(first.transcript.hash)
    }
}

extension CeremonySnapshot {
    /// The transcript once the ceremony is at the signing stage.
    func transcriptIfComplete() throws -> EpochTranscript? {
        phase == .sign ? try transcript() : nil
    }
}
