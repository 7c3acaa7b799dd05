import CustosCrypto
import Foundation

/// Approving: re-authentication, partial decryptions under the custodian's share, and the grant
/// once k distinct custodians have approved.
extension DecryptionService {
    /// What an approval led to.
    public enum ApprovalOutcome: Sendable, Equatable {
        /// Recorded; `approvals` of `needed` are in and the content is still closed.
        case recorded(approvals: Int, needed: Int)
        /// This was the k-th approval: the grant is live until `expiresAt`.
        case granted(expiresAt: Int64)
    }

    /// Everything an approval needs from the database, read before the expensive work.
    struct ApprovalPlan: Sendable {
        var threshold: Int
        var wrappedKey: WrappedCustodianKey
        var groups: [EpochGroup]
    }

    /// The messages of one key epoch, with the custodian's sealed share of that epoch.
    struct EpochGroup: Sendable {
        var commitments: FeldmanCommitments
        var share: SealedShare
        var messages: [ScopedEnvelopeKey]
    }

    /// A custodian approves request `id`: its passphrase (and TOTP code where enrolled) unlock its
    /// share, which computes D_i = s_i·R for every message in scope and is wiped. The k-th approval
    /// opens the grant. A wrong passphrase or code approves nothing and counts towards a lock-out.
    public func approve(id: Int64, passphrase: String, totp: String, user: User, actor: Actor) async throws -> ApprovalOutcome {
        try expireDue()
        let now = archive.clock.now()
        let subject = approvalSubject(user.id)
        let plan = try archive.read { uow -> ApprovalPlan in
            guard let r = try uow.decryption.find(id: id) else { throw DomainError.notFound("There is no request with that number.") }
            let decisions = try uow.decryption.decisions(requestID: id)
            if let blocker = try Self.approvalBlocker(r, decisions: decisions, user: user, role: actor.role, now: now, uow: uow) {
                throw DomainError.forbidden(blocker)
            }
            guard try uow.loginFailures.count(subject: subject, since: now - throttle.window) < throttle.maxFailuresPerAccount else {
                throw DomainError.throttled("Too many failed approval attempts. Wait 15 minutes before trying again.")
            }
            guard let wrapped = try uow.keys.custodianKey(userID: user.id) else {
                throw DomainError.forbidden("Set your custodian passphrase before approving.")
            }
            var byEpoch: [Int: [ScopedEnvelopeKey]] = [:]
            for key in try uow.decryption.envelopeKeys(requestID: id) { byEpoch[key.epoch, default: []].append(key) }
            let groups = try byEpoch.keys.sorted().map { epoch -> EpochGroup in
                guard let record = try uow.keys.epoch(epoch),
                      let share = try uow.keys.shares(epoch: epoch).first(where: { $0.custodianID == user.id }) else {
                    throw DomainError.forbidden("You hold no share of key epoch \(epoch).")
                }
                return EpochGroup(commitments: try FeldmanCommitments(serialized: record.commitments),
                                  share: try SealedShare(serialized: share.sealed), messages: byEpoch[epoch] ?? [])
            }
            return ApprovalPlan(threshold: r.threshold, wrappedKey: try WrappedCustodianKey(serialized: wrapped), groups: groups)
        }

        var counter: Int64?
        if let sealed = user.totpSecretSealed {
            let secret = try TOTPSecrets(keys: keys).open(sealed, userID: user.id)
            let valid = TOTP(secret: secret).validate(totp.filter { !$0.isWhitespace }, at: Date(timeIntervalSince1970: TimeInterval(now)))
            guard let valid, Int64(valid) > (user.totpLastCounter ?? -1) else {
                try recordFailure(id: id, subject: subject, reason: valid == nil ? "wrong TOTP code" : "TOTP code reused", actor: actor)
                throw DomainError.authenticationFailed("The TOTP code is not correct or was already used; enter the next code from your app.")
            }
            counter = Int64(valid)
        }

        let vault = self.vault
        let computed: Computed
        do {
            computed = try await work.run { try Self.partials(plan, passphrase: passphrase, requestID: id, vault: vault) }
        } catch CryptoError.authenticationFailed {
            try recordFailure(id: id, subject: subject, reason: "wrong passphrase", actor: actor)
            throw DomainError.authenticationFailed("The custodian passphrase is not correct.")
        }

        let approvals = try archive.transaction { tx -> Int in
            guard let r = try tx.uow.decryption.find(id: id), let current = try tx.uow.users.find(id: user.id) else {
                throw DomainError.notFound("There is no request with that number.")
            }
            let decisions = try tx.uow.decryption.decisions(requestID: id)
            if let blocker = try Self.approvalBlocker(r, decisions: decisions, user: current, role: actor.role, now: now, uow: tx.uow) {
                throw DomainError.forbidden(blocker)
            }
            if let counter {
                guard counter > (current.totpLastCounter ?? -1) else {
                    throw DomainError.authenticationFailed("That TOTP code was already used; enter the next code from your app.")
                }
                try tx.uow.users.setTOTPLastCounter(userID: user.id, counter: counter)
            }
            try tx.uow.decryption.addDecision(requestID: id, custodianID: user.id, approved: true, at: now)
            try tx.uow.decryption.addPartials(requestID: id, computed.sealed)
            try tx.uow.loginFailures.clear(subject: subject)
            let approvals = decisions.filter(\.approved).count + 1
            try tx.record(actor.draft(.requestApproved, target: "request:\(id)",
                                      details: ["approvals": "\(approvals)", "needed": "\(r.threshold)", "messages": "\(r.messageCount)"]))
            return approvals
        }
        if approvals >= plan.threshold, let expiresAt = try await openGrant(id, madeHere: computed.fresh) {
            return .granted(expiresAt: expiresAt)
        }
        return .recorded(approvals: approvals, needed: plan.threshold)
    }

    /// With k approvals in: combines the partials of every message into its message key, seals the
    /// keys for the grant and deletes the partials. Returns the expiry, or nil if another approval
    /// opened the grant first.
    /// `madeHere`: the partials this approval just computed from its checked share (kept in memory), whose
    /// proofs need no second check; every stored partial's proof is checked.
    func openGrant(_ id: Int64, madeHere: [Int64: PartialDecryption] = [:]) async throws -> Int64? {
        struct Material: Sendable {
            var partials: [SealedForMessage]
            var scope: [ScopedEnvelopeKey]
            var commitments: [Int: FeldmanCommitments]
            var hours: Int
        }
        let material = try archive.read { uow -> Material? in
            guard let r = try uow.decryption.find(id: id), r.status == .pending else { return nil }
            let scope = try uow.decryption.envelopeKeys(requestID: id)
            var commitments: [Int: FeldmanCommitments] = [:]
            for epoch in Set(scope.map(\.epoch)) {
                guard let record = try uow.keys.epoch(epoch) else { throw DomainError.conflict("Key epoch \(epoch) is missing.") }
                commitments[epoch] = try FeldmanCommitments(serialized: record.commitments)
            }
            return Material(partials: try uow.decryption.partials(requestID: id), scope: scope, commitments: commitments, hours: r.hours)
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
                        try Self.messageKeys(part, partials: partialsOf, madeHere: madeHere, commitments: material.commitments,
                                             requestID: id, vault: vault)
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
        try archive.store.scrubDeleted()
        return expiresAt
    }

    /// For each message: its k partials (opened from their seals) combined into Z inside
    /// `Envelope.messageKey`, which checks every partial's proof and returns only K, sealed for the grant.
    static func messageKeys(_ scope: [ScopedEnvelopeKey], partials: [Int64: [SealedForMessage]], madeHere: [Int64: PartialDecryption],
                            commitments: [Int: FeldmanCommitments], requestID id: Int64, vault: GrantVault) throws -> [SealedForMessage] {
        var shares: [Int: [Int: Ristretto255.Point]] = [:]
        for (epoch, c) in commitments { shares[epoch] = try c.publicShares() }
        return try scope.map { m in
            guard let c = commitments[m.epoch] else { throw DomainError.conflict("Key epoch \(m.epoch) is missing.") }
            let own = madeHere[m.messageID]
            var opened = try (partials[m.messageID] ?? []).filter { $0.shareIndex != own?.index }.map { try vault.openPartial($0, requestID: id) }
            if let own { opened.insert(own, at: 0) }
            var key = try Envelope.messageKey(header: EnvelopeHeader(canonicalEncoding: m.header),
                                              ephemeralPublic: Ristretto255.Point(bytes: m.ephemeral),
                                              partials: opened, commitments: c, publicShares: shares[m.epoch],
                                              madeHere: own.map { [$0.index] } ?? [])
            defer { Sodium.wipe(&key) }
            return SealedForMessage(messageID: m.messageID, sealed: try vault.seal(messageKey: key, requestID: id, messageID: m.messageID))
        }
    }

    /// Unwraps the custodian key and opens each epoch's share inside CustodianKey.approve, which
    /// wipes it; only the sealed partials leave this function.
    /// One approval's partials: sealed for storage, and as computed (for the grant, if this approval opens it).
    struct Computed: Sendable {
        var sealed: [SealedForMessage]
        var fresh: [Int64: PartialDecryption]
    }

    static func partials(_ plan: ApprovalPlan, passphrase: String, requestID: Int64, vault: GrantVault) throws -> Computed {
        var out: [SealedForMessage] = []
        var fresh: [Int64: PartialDecryption] = [:]
        for group in plan.groups {
            let points = try group.messages.map { try Ristretto255.Point(bytes: $0.ephemeral) }
            let partials = try CustodianKey.approve(passphrase: passphrase, wrappedKey: plan.wrappedKey, sealedShare: group.share,
                                                    commitments: group.commitments, ephemeralKeys: points)
            for (message, partial) in zip(group.messages, partials) {
                out.append(SealedForMessage(messageID: message.messageID, shareIndex: partial.index,
                                            sealed: try vault.seal(partial: partial, requestID: requestID, messageID: message.messageID)))
                fresh[message.messageID] = partial
            }
        }
        return Computed(sealed: out, fresh: fresh)
    }

    private func recordFailure(id: Int64, subject: [UInt8], reason: String, actor: Actor) throws {
        let now = archive.clock.now()
        try archive.transaction { tx in
            try tx.uow.loginFailures.record(subject: subject, at: now)
            try tx.record(actor.draft(.requestApprovalFailed, target: "request:\(id)", details: ["reason": reason]))
        }
    }

    /// The throttle subject of a custodian's approval attempts (apart from its sign-in attempts).
    func approvalSubject(_ userID: Int64) -> [UInt8] {
        BLAKE2b.hash(Array("approve:\(userID)".utf8), key: BLAKE2b.hash(keys.blindIndexKey + Array("custos/throttle".utf8)))
    }
}
