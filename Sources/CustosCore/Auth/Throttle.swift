import CustosCrypto

/// Throttling kept in the database and free of races: an attempt is reserved (counted as a failure) in the
/// write transaction that checks the limits, before the work that checks the secret, so attempts running in
/// parallel cannot pass the check together. A right secret releases the reservation; a wrong one leaves it
/// counted. Refusals are audited at most once per subject and window.
public struct Throttle: Sendable {
    public let policy: ThrottlePolicy
    private let key: [UInt8]

    /// A throttle whose subject tokens are keyed by its own subkey of the server's blind-index key.
    public init(policy: ThrottlePolicy, keys: ServerKeys) {
        self.policy = policy
        key = keys.throttleKey
    }

    static let busyMessage = "The server is busy checking other sign-ins. Try again in a moment."

    // MARK: Subjects

    /// The subjects a password guess on `username` from `client` counts against, in the order they are checked.
    func passwordSubjects(username: String, client: String) -> [ThrottleSubject] {
        [accountFromAddress(username, client), subject(.address, "address:\(client)"), subject(.account, "account:\(username)")]
    }

    func accountFromAddress(_ username: String, _ client: String) -> ThrottleSubject {
        subject(.accountFromAddress, "pair:\(username.utf8.count):\(username):\(client)")
    }

    func secondFactor(userID: Int64) -> ThrottleSubject { subject(.secondFactor, "totp:\(userID)") }

    func approval(userID: Int64) -> ThrottleSubject { subject(.approval, "approve:\(userID)") }

    private func subject(_ scope: ThrottleSubject.Scope, _ name: String) -> ThrottleSubject {
        ThrottleSubject(scope: scope, token: BLAKE2b.hash(Array(name.utf8), key: key))
    }

    // MARK: Checking and reserving

    /// The refusal the first of `subjects` gives an attempt at `now`, if any.
    func refusal(_ subjects: [ThrottleSubject], now: Int64, uow: any UnitOfWork) throws -> ThrottleRefusal? {
        for subject in subjects {
            let tally = try uow.loginFailures.tally(subject: subject.token, since: now - policy.window)
            if let limit = policy.limit(subject.scope) {
                if tally.count >= limit {
                    return ThrottleRefusal(subject: subject, failures: tally.count,
                                           retryAfter: max(1, (tally.oldest ?? now) + policy.window - now))
                }
            } else {
                let wait = (tally.newest ?? now) + policy.accountDelay(afterFailures: tally.count) - now
                if wait > 0 { return ThrottleRefusal(subject: subject, failures: tally.count, retryAfter: wait) }
            }
        }
        return nil
    }

    /// After a failure: the lock `subject` has reached with it, if any (subjects without a hard limit never lock).
    func reached(_ subject: ThrottleSubject, now: Int64, uow: any UnitOfWork) throws -> ThrottleRefusal? {
        guard policy.limit(subject.scope) != nil else { return nil }
        return try refusal([subject], now: now, uow: uow)
    }

    /// In a transaction of its own: reserves one attempt on each of `subjects`, or audits the refusal (once per
    /// subject and window) and throws `throttled` with the wait.
    func reserve(_ subjects: [ThrottleSubject], archive: Archive, witness: ThrottleWitness) throws -> ThrottleReservation {
        let now = archive.clock.now()
        let outcome = try archive.transaction { tx -> Result<ThrottleReservation, ThrottleRefusalError> in
            if let refusal = try refusal(subjects, now: now, uow: tx.uow) {
                try note(refusal, witness: witness, now: now, tx: tx)
                return .failure(ThrottleRefusalError(refusal: refusal))
            }
            return .success(ThrottleReservation(ids: try subjects.map { try tx.uow.loginFailures.record(subject: $0.token, at: now) }))
        }
        switch outcome {
        case .success(let reservation): return reservation
        case .failure(let refused): throw error(for: refused.refusal)
        }
    }

    /// Stops counting a reservation: the secret was right, or it was never checked.
    func release(_ reservation: ThrottleReservation, uow: any UnitOfWork) throws {
        try uow.loginFailures.remove(ids: reservation.ids)
    }

    /// Runs the check of a secret for a reserved attempt on `work` (`bounded`: refused at once when its queue is
    /// full). If the check does not run to an answer, the reservation is released (the attempt is not counted) and
    /// this throws.
    func check<T: Sendable>(_ reservation: ThrottleReservation, archive: Archive, work: BlockingWork, bounded: Bool = true,
                            _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return bounded ? try await work.runIfRoom(body) : try await work.run(body)
        } catch {
            releaseAfterError(reservation, archive: archive)
            if error is BlockingWork.Full { throw DomainError.throttled(Self.busyMessage, retryAfter: 1) }
            throw error
        }
    }

    /// Releases a reservation whose attempt ended in an error rather than a verdict. Should the release itself
    /// fail, the attempt stays counted: failing closed.
    func releaseAfterError(_ reservation: ThrottleReservation, archive: Archive) {
        _ = try? archive.store.write { uow in try release(reservation, uow: uow) }
    }

    /// Records a failed check whose reservation stays counted (`draft` audits it), audits any lock one of
    /// `subjects` reaches with it, and returns the first such lock.
    func recordFailure(_ draft: AuditDraft, subjects: [ThrottleSubject], witness: ThrottleWitness,
                       archive: Archive) throws -> ThrottleRefusal? {
        let now = archive.clock.now()
        return try archive.transaction { tx -> ThrottleRefusal? in
            try tx.record(draft)
            var first: ThrottleRefusal?
            for subject in subjects {
                guard let lock = try reached(subject, now: now, uow: tx.uow) else { continue }
                try note(lock, witness: witness, now: now, tx: tx)
                first = first ?? lock
            }
            return first
        }
    }

    /// Forgets the failures counted for `subjects` (after a completed sign-in or approval).
    func clear(_ subjects: [ThrottleSubject], uow: any UnitOfWork) throws {
        for subject in subjects { try uow.loginFailures.clear(subject: subject.token) }
    }

    // MARK: Auditing

    /// Audits a refusal, or a lock just reached, at most once per subject and window: the entry carries the
    /// failures counted and the refusals counted without an entry since the subject's previous one. Within the
    /// window of an entry, refusals are only counted.
    func note(_ refusal: ThrottleRefusal, witness: ThrottleWitness, now: Int64, tx: Archive.Transaction) throws {
        let failures = tx.uow.loginFailures
        let previous = try failures.notice(subject: refusal.subject.token)
        if var current = previous, current.since > now - policy.window {
            current.refused += 1
            try failures.saveNotice(subject: refusal.subject.token, current)
            return
        }
        try tx.record(AuditDraft(actor: witness.actor, role: witness.role, action: witness.action, target: witness.target,
                                 details: ["scope": refusal.subject.scope.rawValue, "failures": "\(refusal.failures)",
                                           "retry_after": "\(refusal.retryAfter)",
                                           "refused_unrecorded": "\(previous?.refused ?? 0)"],
                                 client: witness.client))
        try failures.saveNotice(subject: refusal.subject.token, ThrottleNotice(since: now, refused: 0))
    }

    /// Deletes counted attempts the window no longer covers and notices past their retention; returns how many rows.
    func purge(now: Int64, uow: any UnitOfWork) throws -> Int {
        try uow.loginFailures.purge(before: now - policy.window, noticesBefore: now - policy.noticeRetention)
    }

    // MARK: Messages

    /// The error a person sees for a refusal.
    func error(for refusal: ThrottleRefusal) -> DomainError {
        .throttled(message(for: refusal), retryAfter: refusal.retryAfter)
    }

    /// What a person is told, in words, for a refusal.
    func message(for refusal: ThrottleRefusal) -> String {
        let minutes = max(1, (refusal.retryAfter + 59) / 60)
        let wait = minutes == 1 ? "a minute" : "\(minutes) minutes"
        switch refusal.subject.scope {
        case .accountFromAddress:
            return "Too many failed sign-in attempts. Sign-in is paused for this account from this address; try again in \(wait). "
                + "If this was not you, tell your security team."
        case .address:
            return "Too many failed sign-in attempts from this address. Sign-in is paused from here; try again in \(wait)."
        case .account:
            return "There were several failed attempts to sign in to this account, so each attempt now waits a little. "
                + "Try again in \(refusal.retryAfter == 1 ? "a second" : "\(refusal.retryAfter) seconds")."
        case .secondFactor:
            return "Too many wrong codes. Sign-in is paused for this account; try again in \(wait). "
                + "If this was not you, tell your security team."
        case .approval:
            return "Too many failed approval attempts. Approving is paused for you; try again in \(wait)."
        }
    }
}

/// A refusal carried out of a transaction that must still commit (its audit entry).
private struct ThrottleRefusalError: Error {
    var refusal: ThrottleRefusal
}
