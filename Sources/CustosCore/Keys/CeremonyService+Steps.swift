import CustosCrypto

/// The steps custodian devices take in a ceremony. Each arrives over a request signed by the device
/// (`device` is the identity that signed it); each is checked against the ceremony's setup and phase,
/// stored and audited in one transaction, or refused with nothing stored.
extension CeremonyService {
    /// What a receipt led to.
    public enum ReceiptOutcome: Sendable, Equatable {
        /// The device's boxes all checked out.
        case accepted
        /// A proven complaint named a dealer and the ceremony failed.
        case failed(String)
    }

    /// A dealer commits to its dealing by its digest, before seeing anyone else's.
    public func commit(id: Int64, digest: [UInt8], user: User, device: DeviceIdentity, actor: Actor) throws {
        guard digest.count == 32 else { throw DomainError.invalidInput("A commitment is a 32-byte digest.") }
        try step(id, user: user, actor: actor, phase: .commit, kind: .commit) { s, tx in
            guard let dealer = s.dealerIndex(user.id) else {
                throw DomainError.forbidden(s.setup.kind == .newKey ? "You do not take part in this ceremony."
                                            : "Only holders of the key being redistributed deal in this ceremony.")
            }
            try Self.requireDevice(device, for: user.id, in: s)
            return .store(CeremonyStep(userID: user.id, kind: .commit, dealer: dealer, body: digest, at: archive.clock.now()))
        }
    }

    /// A dealer reveals the dealing it committed to; it must match the digest and pass every public check.
    /// A dealing that matches its commitment but fails its checks fails the ceremony, naming the dealer.
    public func reveal(id: Int64, dealing bytes: [UInt8], user: User, device: DeviceIdentity, actor: Actor) throws {
        let dealing: Dealing
        do { dealing = try Dealing(serialized: bytes) } catch { throw DomainError.invalidInput("The dealing cannot be read: \(error)") }
        var failure: String?
        try step(id, user: user, actor: actor, phase: .reveal, kind: .dealing) { s, _ in
            try Self.requireDevice(device, for: user.id, in: s)
            guard let commit = s.steps(.commit).first(where: { $0.userID == user.id }) else {
                throw DomainError.forbidden("You did not commit to a dealing in this ceremony.")
            }
            guard commit.dealer == dealing.dealer, let digest = commit.body, Sodium.constantTimeEqual(digest, dealing.digest) else {
                throw DomainError.invalidInput("This dealing is not the one you committed to.")
            }
            do {
                try dealing.check(s.setup, previous: s.previous?.commitments)
            } catch {
                let reason = "\(s.name(user.id))'s dealing was refused: \(error)"
                failure = reason
                return .fail(reason)
            }
            return .store(CeremonyStep(userID: user.id, kind: .dealing, dealer: dealing.dealer, body: bytes, at: archive.clock.now()))
        }
        if let failure { throw DomainError.conflict(failure + ". The ceremony failed; propose a new one without that custodian.") }
    }

    /// A participant reports on its share boxes: no complaint (they all check out), or proven complaints.
    /// A complaint that holds fails the ceremony and names the dealer; one that does not is refused.
    public func receipt(id: Int64, complaints: [Complaint], user: User, device: DeviceIdentity, actor: Actor) throws -> ReceiptOutcome {
        var outcome = ReceiptOutcome.accepted
        try step(id, user: user, actor: actor, phase: .receive, kind: .receipt) { s, tx in
            guard let me = s.member(user.id) else { throw DomainError.forbidden("You do not take part in this ceremony.") }
            try Self.requireDevice(device, for: user.id, in: s)
            guard !complaints.isEmpty else { return .store(CeremonyStep(userID: user.id, kind: .receipt, at: archive.clock.now())) }
            let dealings = try s.dealings()
            var reasons: [String] = []
            for complaint in complaints {
                guard complaint.recipient == me.participant, let dealing = dealings.first(where: { $0.dealer == complaint.dealer }),
                      complaint.isUpheld(setup: s.setup, dealing: dealing) else {
                    try tx.record(actor.draft(.keyComplaintRefused, target: "ceremony:\(id)", details: ["dealer": "\(complaint.dealer)"]))
                    throw ComplaintRefused(dealer: complaint.dealer)
                }
                let dealerName = s.steps(.dealing).first { $0.dealer == complaint.dealer }.map { s.name($0.userID) } ?? "dealer \(complaint.dealer)"
                reasons.append("\(dealerName) dealt \(me.username) a share that its commitments do not vouch for (proven by \(me.username)'s complaint)")
            }
            let reason = reasons.joined(separator: "; ")
            outcome = .failed(reason)
            return .fail(reason)
        }
        return outcome
    }

    /// A participant, or a holder of the epoch before, signs the transcript. The signature that completes
    /// the set (every participant, and k of the epoch before) brings the epoch into force; returns it then.
    @discardableResult
    public func sign(id: Int64, signature: [UInt8], user: User, device: DeviceIdentity, actor: Actor) throws -> VerifiedEpoch? {
        var activated: VerifiedEpoch?
        try step(id, user: user, actor: actor, phase: .sign, kind: .signature) { s, tx in
            guard s.member(user.id) != nil || s.predecessor(user.id) != nil else {
                throw DomainError.forbidden("You neither take part in this ceremony nor hold a share of the epoch before.")
            }
            let roles = [s.member(user.id)?.identity, s.predecessor(user.id)?.identity].compactMap { $0 }
            guard roles.contains(device) else {
                throw DomainError.forbidden("Sign with the device you took part with (its fingerprint is in the transcript).")
            }
            let transcript = try s.transcript()
            let endorsement = EpochSignature(signer: device.signingKey, signature: signature)
            guard endorsement.verifies(hash: transcript.hash) else {
                throw DomainError.invalidInput("The signature does not verify over this ceremony's transcript.")
            }
            return .store(CeremonyStep(userID: user.id, kind: .signature, body: signature, signer: device.signingKey, at: archive.clock.now()))
        } after: { s, tx in
            activated = try activateIfComplete(s, tx: tx, actor: actor)
        }
        if activated != nil { try archive.store.forgetDeleted() }
        return activated
    }

    /// Signatures complete: stores the epoch and its signatures, closes the ceremony, deletes its share boxes.
    func activateIfComplete(_ s: CeremonySnapshot, tx: Archive.Transaction, actor: Actor) throws -> VerifiedEpoch? {
        let transcript = try s.transcript()
        let signatures = s.signatures(over: transcript)
        let signers = Set(signatures.map(\.signer))
        guard s.setup.participants.allSatisfy({ signers.contains($0.signingKey) }) else { return nil }
        if let previous = s.previous {
            let endorsed = previous.transcript.setup.participants.filter { signers.contains($0.signingKey) }.count
            guard endorsed >= previous.transcript.setup.threshold else { return nil }
        }
        let record = KeyEpochRecord(epoch: s.setup.epoch, threshold: s.setup.threshold, shareCount: s.setup.shareCount,
                                    publicKey: transcript.publicKey.serialized, commitments: transcript.feldman.serialized,
                                    createdAt: archive.clock.now(), createdBy: s.record.createdBy, kind: s.setup.kind.name,
                                    previousEpoch: s.previous?.epoch, transcript: transcript.serialized, transcriptHash: transcript.hash,
                                    ceremonyID: s.record.id)
        try tx.uow.keys.insertEpoch(record)
        for signature in signatures { try tx.uow.keys.insertSignature(epoch: record.epoch, signature: signature) }
        // The whole chain, this epoch included, must verify as capture clients will check it.
        let chain: [VerifiedEpoch]
        do { chain = try registry.chain(tx.uow) } catch { throw DomainError.conflict("The new epoch does not verify: \(error)") }
        let hash = Hex.encode(transcript.hash)
        try close(s.record, status: .active, outcome: "epoch \(record.epoch) in force, transcript \(hash)", tx: tx)
        var details = ["epoch": "\(record.epoch)", "kind": s.setup.kind.name, "threshold": "\(s.setup.threshold)",
                       "custodians": s.members.map(\.username).joined(separator: ","), "transcript_hash": hash,
                       "public_key": Hex.encode(transcript.publicKey.point.bytes)]
        if s.previous == nil { details["trust_root"] = hash }
        try tx.record(Actor.system().draft(.keyEpochActivated, target: "epoch:\(record.epoch)", details: details))
        return chain.last
    }

    /// What checking a step found: store it, or fail the ceremony for this reason.
    enum StepResult {
        case store(CeremonyStep)
        case fail(String)
    }

    /// Checks phase and that the step is new, runs `body`, then stores and audits the step (or fails the
    /// ceremony with the reason `body` gives), then runs `after`, all in one transaction.
    func step(_ id: Int64, user: User, actor: Actor, phase: Phase, kind: CeremonyStepKind,
              _ body: (CeremonySnapshot, Archive.Transaction) throws -> StepResult,
              after: (CeremonySnapshot, Archive.Transaction) throws -> Void = { _, _ in }) throws {
        guard user.roles.contains(.custodian), !user.disabled else { throw DomainError.forbidden("Only key custodians take part in ceremonies.") }
        var refusal: (any Error)?
        try archive.transaction { tx in
            guard let c = try tx.uow.ceremonies.find(id: id) else { throw DomainError.notFound("There is no ceremony with that number.") }
            guard c.status == .open else { throw DomainError.conflict("Ceremony \(id) is closed (\(c.status.title.lowercased())).") }
            let s = try CeremonySnapshot.load(c, uow: tx.uow, registry: registry)
            guard s.phase == phase else {
                throw DomainError.conflict("Ceremony \(id) is at “\(s.phase.title)”, not taking this step now.")
            }
            guard !s.has(user.id, kind) else { throw DomainError.conflict("You have already taken this step.") }
            do {
                let step: CeremonyStep
                switch try body(s, tx) {
                case .store(let stored): step = stored
                case .fail(let reason):
                    try close(s.record, status: .failed, outcome: reason, tx: tx)
                    try tx.record(actor.draft(.keyCeremonyFailed, target: "ceremony:\(id)", details: ["reason": reason]))
                    return
                }
                try tx.uow.ceremonies.addStep(ceremonyID: id, step)
                try tx.record(actor.draft(.keyCeremonyStep, target: "ceremony:\(id)",
                                          details: ["step": kind.rawValue, "dealer": step.dealer.map(String.init) ?? ""]))
                let updated = try CeremonySnapshot.load(c, uow: tx.uow, registry: registry)
                try after(updated, tx)
            } catch let e as ComplaintRefused {
                refusal = e
            }
        }
        if let refusal {
            throw DomainError.invalidInput("Your complaint about dealer \((refusal as? ComplaintRefused)?.dealer ?? 0) does not hold: "
                + "the share it proves is the one the dealer's commitments vouch for. Nothing was recorded.")
        }
    }

    /// The acting device must be the one the ceremony names for this person (as participant or predecessor).
    static func requireDevice(_ device: DeviceIdentity, for userID: Int64, in s: CeremonySnapshot) throws {
        let known = [s.member(userID)?.identity, s.predecessor(userID)?.identity].compactMap { $0 }
        guard known.contains(device) else {
            throw DomainError.forbidden("This ceremony names another device of yours; use the key file you enrolled before it was proposed.")
        }
    }
}

/// A complaint that does not hold: refused, recorded only as a refusal.
struct ComplaintRefused: Error {
    let dealer: Int
}
