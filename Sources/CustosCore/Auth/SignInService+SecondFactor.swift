import CustosCrypto
import Foundation

/// The second factor. Wrong codes count against the account's own throttle subject, which only a completed
/// sign-in clears (a right password does not), and the lock is checked before any code is; when it locks,
/// every session of the account waiting at the TOTP step ends.
extension SignInService {
    /// What one TOTP attempt led to.
    private enum SecondFactorOutcome {
        case verified(Session)
        case failed
        case locked(ThrottleRefusal)
    }

    /// The second factor: a TOTP code for a session at the `.totp` stage. A code's time step is accepted once,
    /// even by sign-ins running at the same moment.
    public func verifyTOTP(session: Session, user: User, code: String, client: String) throws -> Session {
        guard session.stage == .totp, let sealed = user.totpSecretSealed else {
            throw DomainError.forbidden("No TOTP code is expected for this session.")
        }
        let secret = try TOTPSecrets(keys: keys).open(sealed, userID: user.id)
        let subject = throttle.secondFactor(userID: user.id)
        let witness = ThrottleWitness(action: .loginThrottled, actor: user.username, role: "none", client: client)
        let reservation: ThrottleReservation
        do {
            reservation = try throttle.reserve([subject], archive: archive, witness: witness)
        } catch let error as DomainError {
            if case .throttled = error {
                _ = try archive.store.write { uow in try uow.sessions.deleteAll(userID: user.id, stage: .totp) }
            }
            throw error
        }
        let now = archive.clock.now()
        let counter = TOTPVerifier(secret: secret).step(of: code, at: Date(timeIntervalSince1970: TimeInterval(now)))
        let outcome = try archive.transaction { tx -> SecondFactorOutcome in
            if let counter, try tx.uow.users.advanceTOTPCounter(userID: user.id, to: Int64(counter)) {
                guard try tx.uow.sessions.activate(id: session.id) else {
                    throw DomainError.forbidden("This sign-in has ended. Sign in again.")
                }
                try throttle.release(reservation, uow: tx.uow)
                try throttle.clear([subject, throttle.accountFromAddress(user.username, client)], uow: tx.uow)
                try tx.record(Actor(userID: user.id, username: user.username, role: session.activeRole, client: client)
                    .draft(.totpVerified, target: "session:\(session.id)"))
                var s = session
                s.stage = .active
                return .verified(s)
            }
            try tx.record(Actor(userID: user.id, username: user.username, role: nil, client: client)
                .draft(.totpFailed, target: "session:\(session.id)", details: ["reason": counter == nil ? "wrong code" : "code reused"]))
            guard let lock = try throttle.reached(subject, now: now, uow: tx.uow) else { return .failed }
            try tx.uow.sessions.deleteAll(userID: user.id, stage: .totp)
            try throttle.note(lock, witness: witness, now: now, tx: tx)
            return .locked(lock)
        }
        switch outcome {
        case .verified(let s): return s
        case .locked(let lock): throw throttle.error(for: lock)
        case .failed:
            throw DomainError.authenticationFailed("That code is not correct or was already used. Enter the current code from your authenticator.")
        }
    }
}
