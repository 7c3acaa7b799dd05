import CustosCore
import CustosCrypto
import Foundation

/// A custodian device taking its part in a key ceremony, step by step as the server reports the phase:
/// commit to a dealing, reveal it, check the boxes it received (complaining with proof about bad ones),
/// and sign the transcript after checking it. Everything secret stays in `device`; `persist` is called
/// whenever the device's state (a new share, a retired one) should be written to its key file.
public final class CeremonyParticipant {
    /// How a ceremony ended for this device.
    public enum Outcome: Sendable, Equatable {
        case active(epoch: Int, transcriptHash: String, trustRoot: String?)
        case failed(String)
    }

    let device: CustodianDevice
    let client: CustodianClient
    let confirm: (String) -> Bool
    let say: (String) -> Void
    let persist: () throws -> Void
    private var dealing: Dealing?
    private var announced: Set<String> = []

    /// `confirm` is asked before this device endorses an epoch it does not hold a share of (as a custodian of
    /// the epoch before); `say` reports progress.
    public init(device: CustodianDevice, client: CustodianClient, confirm: @escaping (String) -> Bool,
                say: @escaping (String) -> Void, persist: @escaping () throws -> Void) {
        self.device = device
        self.client = client
        self.confirm = confirm
        self.say = say
        self.persist = persist
    }

    /// Takes every step this device owes until the ceremony ends or `timeout` passes.
    public func run(timeout: Duration = .seconds(1800), poll: Duration = .seconds(1)) async throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        while true {
            let state: CeremonyStateWire = try await client.get("/api/v1/custodian/ceremony")
            do {
                if let outcome = try await step(state) { return outcome }
            } catch CustodianClientError.refused(let status, let message) where status == 409 {
                // The ceremony moved on between looking and acting (another holder took the last dealer's place,
                // say); look again.
                say("the ceremony moved on: \(message)")
            }
            guard ContinuousClock.now < deadline else {
                throw CustodianClientError.ceremony("gave up waiting after \(timeout); still waiting for: \(state.waitingFor.joined(separator: ", "))")
            }
            try await Task.sleep(for: poll)
        }
    }

    /// Does what the state asks of this device; an outcome once the ceremony has ended.
    func step(_ state: CeremonyStateWire) async throws -> Outcome? {
        let setup = try CeremonySetup(serialized: bytes(state.setup))
        let previous = try state.previousTranscript.map { try EpochTranscript(serialized: bytes($0)) }
        guard state.epoch == setup.epoch, setup.previousHash == (previous?.hash ?? CeremonySetup.noPrevious) else {
            throw CustodianClientError.ceremony("the server's account of ceremony \(state.id) is inconsistent; refusing to take part")
        }
        switch state.status {
        case "active": return try finish(state, setup: setup, previous: previous)
        case "failed", "cancelled":
            device.forgetShare(epoch: setup.epoch)
            try persist()
            return .failed(state.outcome ?? state.status)
        default: break
        }
        try checkRole(state, setup: setup, previous: previous)
        announce(state)
        let id = state.id
        switch state.phase {
        case "commit" where state.you.dealer != nil && !state.you.committed:
            let dealer = try device.dealer(for: setup, previousEpoch: state.previousEpoch)
            defer { dealer.wipe() }
            let made = try dealer.dealing()
            dealing = made
            let _: [String: String] = try await client.post("/api/v1/custodian/ceremony/\(id)/commit", CeremonyStepWire(digest: b64(made.digest)))
            say("committed to this device's contribution")
        case "reveal" where state.you.committed && !state.you.revealed:
            guard let dealing else {
                throw CustodianClientError.ceremony("this device committed in an earlier run and its contribution is gone; ask the administrator to cancel and propose the ceremony again")
            }
            let _: [String: String] = try await client.post("/api/v1/custodian/ceremony/\(id)/dealing", CeremonyStepWire(dealing: b64(dealing.serialized)))
            say("revealed this device's contribution")
        case "receive" where state.you.participant != nil && !state.you.receipted:
            let complaints = try receive(state, setup: setup, previous: previous)
            let answer: [String: String] = try await client.post("/api/v1/custodian/ceremony/\(id)/receipt",
                                                                 CeremonyStepWire(complaints: complaints.map(ComplaintWire.init)))
            if answer["status"] == "failed" { return .failed(answer["reason"] ?? "a dealer's share did not check out") }
            say(complaints.isEmpty ? "every share received checks out against its dealer's commitments" : "complained about a dealer")
        case "sign" where !state.you.signed:
            guard let text = state.transcript else { return nil }
            let transcript = try EpochTranscript(serialized: bytes(text))
            try check(transcript, state: state, setup: setup, previous: previous)
            let signature = try device.endorse(transcript).signature
            let _: [String: String] = try await client.post("/api/v1/custodian/ceremony/\(id)/signature", CeremonyStepWire(signature: b64(signature)))
            try persist()
            say("signed the transcript \(Hex.encode(transcript.hash))")
        default: break
        }
        return nil
    }

    /// Opens and checks this device's boxes; no complaints means the device now holds its share.
    func receive(_ state: CeremonyStateWire, setup: CeremonySetup, previous: EpochTranscript?) throws -> [Complaint] {
        let dealings = try state.dealings.map { try Dealing(serialized: bytes($0)) }
        let checked = try DistributedKeyGeneration.checkDealings(dealings, setup: setup, previous: previous?.feldman)
        let complaints = try device.receive(checked, setup: setup)
        try persist()
        return complaints
    }

    /// Before signing: the transcript is the one for this setup and follows the epoch before; a participant's
    /// own boxes are in it and its share matches its commitments; an endorser who holds no share of it confirms.
    func check(_ t: EpochTranscript, state: CeremonyStateWire, setup: CeremonySetup, previous: EpochTranscript?) throws {
        guard t.setup == setup else { throw CustodianClientError.ceremony("the transcript is not for this ceremony's setup; refusing to sign") }
        do { try t.verify(previous: previous) } catch { throw CustodianClientError.ceremony("the transcript does not verify (\(error)); refusing to sign") }
        if state.you.participant != nil {
            if device.shareIndex(epoch: setup.epoch) == nil { _ = try receive(state, setup: setup, previous: previous) }
            let dealings = try state.dealings.map { try Dealing(serialized: bytes($0)) }
            guard dealings.allSatisfy(t.records), device.shareMatches(epoch: setup.epoch, commitments: t.feldman) else {
                throw CustodianClientError.ceremony("the transcript does not record the shares this device received; refusing to sign")
            }
        } else {
            let people = state.members.map { "  \($0.username)  \($0.fingerprint)" }.joined(separator: "\n")
            let what = setup.kind == .newKey ? "a new archive key" : "the current archive key, redistributed"
            guard confirm("Endorse epoch \(setup.epoch), \(what), \(setup.threshold) of \(setup.shareCount), held by:\n\(people)\n"
                          + "Capture clients will encrypt to it. Endorse only an epoch you were told about by people you trust.") else {
                throw CustodianClientError.ceremony("you declined to endorse epoch \(setup.epoch)")
            }
        }
    }

    /// The ceremony is over and the epoch is in force: check this device's share against it and tidy up.
    func finish(_ state: CeremonyStateWire, setup: CeremonySetup, previous: EpochTranscript?) throws -> Outcome {
        guard let text = state.transcript else { throw CustodianClientError.ceremony("the server reports the epoch active but sends no transcript") }
        let t = try EpochTranscript(serialized: bytes(text))
        guard t.setup == setup else { throw CustodianClientError.ceremony("the active transcript is not this ceremony's") }
        if state.you.participant != nil, !device.shareMatches(epoch: setup.epoch, commitments: t.feldman) {
            throw CustodianClientError.ceremony("this device holds no valid share of epoch \(setup.epoch); it took no part in the ceremony from this key file")
        }
        if setup.kind == .redistribution, let old = state.previousEpoch, device.shareIndex(epoch: old) != nil {
            device.forgetShare(epoch: old)
            say("forgot this device's share of epoch \(old): the redistribution retired it")
        }
        try persist()
        return .active(epoch: setup.epoch, transcriptHash: Hex.encode(t.hash), trustRoot: state.trustRoot)
    }

    /// This device must be what the ceremony says it is: a participant by its own keys, or a holder of the epoch before.
    func checkRole(_ state: CeremonyStateWire, setup: CeremonySetup, previous: EpochTranscript?) throws {
        if let j = state.you.participant, setup.participants[j - 1] != device.identity {
            throw CustodianClientError.ceremony("the ceremony names another device as your participant \(j); refusing to take part")
        }
        if state.you.predecessor, setup.kind == .redistribution {
            guard let previous, let old = state.previousEpoch, let index = device.shareIndex(epoch: old),
                  device.shareMatches(epoch: old, commitments: previous.feldman), state.you.dealer == index else {
                throw CustodianClientError.ceremony("this key file holds no share of epoch \(state.previousEpoch ?? 0) matching its transcript")
            }
        }
        if state.you.participant == nil, !state.you.predecessor {
            throw CustodianClientError.ceremony("this device takes no part in ceremony \(state.id)")
        }
    }

    private func announce(_ state: CeremonyStateWire) {
        let line = "ceremony \(state.id), epoch \(state.epoch): \(state.phase); waiting for \(state.waitingFor.joined(separator: ", "))"
        if announced.insert(line).inserted { say(line) }
    }

    private func bytes(_ text: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text) else { throw CustodianClientError.ceremony("the server sent a field that is not base64") }
        return [UInt8](data)
    }

    private func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
