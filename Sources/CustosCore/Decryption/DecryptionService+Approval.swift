import CustosCrypto
import Foundation

/// Approving: the custodian's device computes D_i = s_i·R with a DLEQ proof for every message in scope
/// and uploads them signed; the server checks every proof against the epoch's commitments and never
/// sees a share, a passphrase or a custodian secret. Once k distinct custodians have approved, the
/// partials become the grant's message keys.
extension DecryptionService {
    /// What an approval led to.
    public enum ApprovalOutcome: Sendable, Equatable {
        /// Recorded; `approvals` of `needed` are in and the content is still closed.
        case recorded(approvals: Int, needed: Int)
        /// This was the k-th approval: the grant is live until `expiresAt`.
        case granted(expiresAt: Int64)
    }

    /// What a custodian's device needs to approve a request, and what it shows the custodian first.
    public struct ApprovalTask: Sendable {
        /// One message: the epoch whose share decrypts it (the epoch it was sealed to, or the newest
        /// redistribution of it) and its R.
        public struct Item: Sendable {
            public var messageID: Int64
            public var epoch: Int
            public var ephemeral: [UInt8]
        }
        public var requestID: Int64
        public var requester: String
        public var justification: String
        public var reference: String
        public var hours: Int
        public var threshold: Int
        public var approvals: Int
        public var approveBy: Int64
        public var firstSentAt: Int64?
        public var lastSentAt: Int64?
        public var items: [Item]
        /// The commitments of each epoch in `items`, which the device checks its share against.
        public var commitments: [Int: FeldmanCommitments]
    }

    /// The task for `user`'s device; refused when the custodian may not decide on the request.
    public func approvalTask(id: Int64, user: User, actor: Actor) throws -> ApprovalTask {
        try expireDue()
        let now = archive.clock.now()
        let task = try archive.read { uow -> Result<ApprovalTask, IntegrityRefusal> in
            guard let r = try uow.decryption.find(id: id) else { throw DomainError.notFound("There is no request with that number.") }
            let decisions = try uow.decryption.decisions(requestID: id)
            if let blocker = try approvalBlocker(r, decisions: decisions, user: user, role: actor.role, now: now, uow: uow) {
                throw DomainError.forbidden(blocker)
            }
            let keys = try uow.decryption.envelopeKeys(requestID: id)
            // A device computes s_i·R for whatever R it is given: an ephemeral key swapped in the row would have it
            // decrypt another message. Every row must still agree with what its audited ingest record sealed.
            var integrity = MessageIntegrity()
            for m in keys {
                if let problem = try integrity.problem(messageID: m.messageID, in: uow) {
                    return .failure(IntegrityRefusal(messageID: m.messageID, problem: problem))
                }
            }
            let chain = try registry.chain(uow)
            var commitments: [Int: FeldmanCommitments] = [:]
            var first: Int64?, last: Int64?
            let items = try keys.map { m -> ApprovalTask.Item in
                guard let holding = EpochRegistry.holding(m.epoch, in: chain) else { throw DomainError.conflict("Key epoch \(m.epoch) does not verify.") }
                commitments[holding.epoch] = holding.commitments
                if let header = try? EnvelopeHeader(canonicalEncoding: m.header) {
                    first = min(first ?? header.sentAt, header.sentAt)
                    last = max(last ?? header.sentAt, header.sentAt)
                }
                return ApprovalTask.Item(messageID: m.messageID, epoch: holding.epoch, ephemeral: m.ephemeral)
            }
            return .success(ApprovalTask(
                requestID: id, requester: r.requesterName,
                justification: (try? indexer.open(r.justification, purpose: "request-justification")) ?? "(unreadable)",
                reference: (try? indexer.open(r.reference, purpose: "request-reference")) ?? "(unreadable)",
                hours: r.hours, threshold: r.threshold, approvals: decisions.filter(\.approved).count, approveBy: r.approveBy,
                firstSentAt: first, lastSentAt: last, items: items, commitments: commitments))
        }
        switch task {
        case .success(let task): return task
        case .failure(let refusal):
            _ = try archive.transaction { tx in
                try tx.record(actor.draft(.messageIntegrityFailed, target: "message:\(refusal.messageID)",
                                          details: ["refused": "approval", "request": "\(id)", "problem": refusal.problem]))
            }
            throw DomainError.conflict("Approval is refused: \(refusal.problem). The archive may have been edited behind its "
                                       + "safeguards; security has been told through the audit log (run custos verify).")
        }
    }

    struct IntegrityRefusal: Error {
        var messageID: Int64
        var problem: String
    }

    /// A custodian approves request `id` with the partials its device `device` computed, one per message.
    /// Every proof is checked before anything is stored; a bad one approves nothing and counts towards a
    /// lock-out (reserved before the check, so approvals sent in parallel cannot pass the limit together).
    /// The k-th approval opens the grant.
    public func approve(id: Int64, partials: [Int64: PartialDecryption], user: User, device: DeviceIdentity,
                        actor: Actor) async throws -> ApprovalOutcome {
        let task = try approvalTask(id: id, user: user, actor: actor)
        let now = archive.clock.now()
        let subject = throttle.approval(userID: user.id)
        let shareIndex = try archive.read { uow -> [Int: Int] in
            let chain = try registry.chain(uow)
            var indices: [Int: Int] = [:]
            for epoch in task.commitments.keys {
                guard let holding = chain.first(where: { $0.epoch == epoch }),
                      let index = try uow.keys.holders(epoch: epoch).first(where: { $0.userID == user.id })?.index else {
                    throw DomainError.forbidden("You hold no share of key epoch \(epoch).")
                }
                guard holding.transcript.setup.participants[index - 1] == device else {
                    throw DomainError.forbidden("Your share of key epoch \(epoch) is on the device you took part in its ceremony with; approve from that key file.")
                }
                indices[epoch] = index
            }
            return indices
        }
        guard partials.count == task.items.count, task.items.allSatisfy({ partials[$0.messageID] != nil }) else {
            throw DomainError.invalidInput("Send one partial decryption for each of the \(task.items.count) messages of the request.")
        }
        let witness = ThrottleWitness(action: .requestApprovalThrottled, actor: actor.username, role: actor.role?.rawValue ?? "none",
                                      target: "request:\(id)", client: actor.client)
        let reservation = try throttle.reserve([subject], archive: archive, witness: witness)
        let valid = try await throttle.check(reservation, archive: archive, work: work, bounded: false) {
            Self.verify(task, partials: partials, shareIndex: shareIndex)
        }
        guard valid else {
            let draft = actor.draft(.requestApprovalFailed, target: "request:\(id)", details: ["reason": "a partial decryption did not verify"])
            _ = try throttle.recordFailure(draft, subjects: [subject], witness: witness, archive: archive)
            throw DomainError.authenticationFailed("A partial decryption does not verify against the epoch's commitments; nothing was recorded.")
        }
        let approvals: Int
        do {
            approvals = try record(id: id, partials: partials, task: task, user: user, device: device, actor: actor, now: now) { uow in
                try throttle.release(reservation, uow: uow)
                try throttle.clear([subject], uow: uow)
            }
        } catch {
            // The partials verified: whatever stopped the approval, it was no failed attempt.
            throttle.releaseAfterError(reservation, archive: archive)
            throw error
        }
        if approvals >= task.threshold, let expiresAt = try await openGrant(id) {
            return .granted(expiresAt: expiresAt)
        }
        return .recorded(approvals: approvals, needed: task.threshold)
    }

    /// Stores a verified approval and its sealed partials, with `also` in the same transaction; returns the
    /// approvals now in.
    private func record(id: Int64, partials: [Int64: PartialDecryption], task: ApprovalTask, user: User, device: DeviceIdentity,
                        actor: Actor, now: Int64, also: (any UnitOfWork) throws -> Void) throws -> Int {
        let vault = self.vault
        let sealed = try task.items.map { item -> SealedForMessage in
            let partial = partials[item.messageID]!
            return SealedForMessage(messageID: item.messageID, shareIndex: partial.index,
                                    sealed: try vault.seal(partial: partial, requestID: id, messageID: item.messageID))
        }
        return try archive.transaction { tx -> Int in
            guard let r = try tx.uow.decryption.find(id: id), let current = try tx.uow.users.find(id: user.id) else {
                throw DomainError.notFound("There is no request with that number.")
            }
            let decisions = try tx.uow.decryption.decisions(requestID: id)
            if let blocker = try approvalBlocker(r, decisions: decisions, user: current, role: actor.role, now: now, uow: tx.uow) {
                throw DomainError.forbidden(blocker)
            }
            try tx.uow.decryption.addDecision(requestID: id, custodianID: user.id, approved: true, at: now)
            try tx.uow.decryption.addPartials(requestID: id, sealed)
            try also(tx.uow)
            let approvals = decisions.filter(\.approved).count + 1
            try tx.record(actor.draft(.requestApproved, target: "request:\(id)",
                                      details: ["approvals": "\(approvals)", "needed": "\(r.threshold)", "messages": "\(r.messageCount)",
                                                "device": device.fingerprint]))
            return approvals
        }
    }

    /// Every partial is the approver's (its share index in the message's epoch) and its proof holds.
    static func verify(_ task: ApprovalTask, partials: [Int64: PartialDecryption], shareIndex: [Int: Int]) -> Bool {
        var publicShares: [Int: Ristretto255.Point] = [:]
        for (epoch, c) in task.commitments {
            guard let index = shareIndex[epoch], let p = try? c.publicShare(for: index) else { return false }
            publicShares[epoch] = p
        }
        return task.items.allSatisfy { item in
            guard let partial = partials[item.messageID], partial.index == shareIndex[item.epoch],
                  let share = publicShares[item.epoch], let r = try? Ristretto255.Point(bytes: item.ephemeral) else { return false }
            return partial.verify(ephemeralPublic: r, publicShare: share)
        }
    }

    /// With k approvals in: combines the partials of every message into its message key, seals the
    /// keys for the grant and deletes the partials. Returns the expiry, or nil if another approval
    /// opened the grant first.
    func openGrant(_ id: Int64) async throws -> Int64? {
        struct Material: Sendable {
            var partials: [SealedForMessage]
            var scope: [ScopedEnvelopeKey]
            var keys: [Int: EpochKeys]
            var hours: Int
        }
        let material = try archive.read { uow -> Material? in
            guard let r = try uow.decryption.find(id: id), r.status == .pending else { return nil }
            let scope = try uow.decryption.envelopeKeys(requestID: id)
            let chain = try registry.chain(uow)
            var keys: [Int: EpochKeys] = [:]
            for epoch in Set(scope.map(\.epoch)) {
                guard let sealing = chain.first(where: { $0.epoch == epoch }), let holding = EpochRegistry.holding(epoch, in: chain) else {
                    throw DomainError.conflict("Key epoch \(epoch) does not verify.")
                }
                keys[epoch] = EpochKeys(holding: holding.commitments, sealedTo: sealing.publicKey)
            }
            return Material(partials: try uow.decryption.partials(requestID: id), scope: scope, keys: keys, hours: r.hours)
        }
        guard let material else { return nil }
        let vault = self.vault
        var byMessage: [Int64: [SealedForMessage]] = [:]
        for sealed in material.partials { byMessage[sealed.messageID, default: []].append(sealed) }
        let partialsOf = byMessage
        // Each message's key is independent of the others: combine in two halves on the two blocking queues.
        let half = (material.scope.count + 1) / 2
        let halves = [Array(material.scope.prefix(half)), Array(material.scope.dropFirst(half))]
        let sealedKeys = try await withThrowingTaskGroup(of: (Int, [SealedForMessage]).self) { group in
            for (index, part) in halves.enumerated() where !part.isEmpty {
                group.addTask {
                    (index, try await work.run {
                        try Self.messageKeys(part, partials: partialsOf, keys: material.keys, requestID: id, vault: vault)
                    })
                }
            }
            var done: [Int: [SealedForMessage]] = [:]
            for try await (index, keys) in group { done[index] = keys }
            return (done[0] ?? []) + (done[1] ?? [])
        }
        let now = archive.clock.now()
        let expiresAt = now + Int64(material.hours) * 3_600
        do {
            try archive.transaction { tx in
                guard let r = try tx.uow.decryption.find(id: id) else { throw DomainError.notFound("There is no request with that number.") }
                try tx.uow.decryption.grant(requestID: id, at: now, expiresAt: expiresAt, keys: sealedKeys)
                let removed = try tx.uow.decryption.deletePartials(requestID: id)
                try tx.record(Actor.system().draft(.grantOpened, target: "request:\(id)",
                                                   details: ["requester": r.requesterName, "messages": "\(sealedKeys.count)",
                                                             "expires_at": "\(expiresAt)", "partials_deleted": "\(removed)"]))
            }
        } catch DomainError.conflict {
            return nil
        }
        try archive.store.forgetDeleted()
        return expiresAt
    }

    /// The commitments that check a sealing epoch's partials (its own, or a redistribution's) and its key.
    struct EpochKeys: Sendable {
        var holding: FeldmanCommitments
        var sealedTo: ArchivePublicKey
    }

    /// For each message: its k partials (opened from their seals, each checked when it was uploaded)
    /// combined into Z inside `Envelope.messageKey`, which returns only K, sealed for the grant.
    static func messageKeys(_ scope: [ScopedEnvelopeKey], partials: [Int64: [SealedForMessage]], keys: [Int: EpochKeys],
                            requestID id: Int64, vault: GrantVault) throws -> [SealedForMessage] {
        try scope.map { m in
            guard let k = keys[m.epoch] else { throw DomainError.conflict("Key epoch \(m.epoch) does not verify.") }
            let opened = try (partials[m.messageID] ?? []).map { try vault.openPartial($0, requestID: id) }
            var key = try Envelope.messageKey(header: EnvelopeHeader(canonicalEncoding: m.header),
                                              ephemeralPublic: Ristretto255.Point(bytes: m.ephemeral),
                                              partials: opened, commitments: k.holding, sealedTo: k.sealedTo,
                                              preverified: Set(opened.map(\.index)))
            defer { Sodium.wipe(&key) }
            return SealedForMessage(messageID: m.messageID, sealed: try vault.seal(messageKey: key, requestID: id, messageID: m.messageID))
        }
    }
}
