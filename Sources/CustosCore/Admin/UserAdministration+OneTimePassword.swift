extension UserAdministration {
    /// Replaces a person's password with a new one-time password (for one that expired or was forgotten): it must
    /// be changed at the next sign-in and works for `oneTimePasswordLifetime`. Ends the person's sessions; TOTP
    /// stays enrolled. An administrator changes their own password on their account page instead.
    public func issueOneTimePassword(userID: Int64, actor: Actor) async throws -> Created {
        if userID == actor.userID {
            throw DomainError.forbidden("Change your own password on your account page.")
        }
        let password = Credentials.oneTimePassword()
        let hasher = self.hasher
        let hash = try await work.run { try hasher.hash(password) }
        let now = archive.clock.now()
        let expires = now + oneTimePasswordLifetime
        let user = try archive.transaction { tx -> User in
            guard var user = try tx.uow.users.find(id: userID) else { throw DomainError.notFound("No such user.") }
            try tx.uow.users.updatePassword(userID: userID, hash: hash, mustChange: true, oneTimeUntil: expires, at: now)
            try tx.uow.sessions.deleteAll(userID: userID, except: nil)
            try tx.record(actor.draft(.oneTimePasswordIssued, target: "user:\(user.username)",
                                      details: ["expires_at": "\(expires)", "sessions_ended": "yes"]))
            user.passwordHash = hash
            user.mustChangePassword = true
            user.oneTimePasswordExpiresAt = expires
            user.passwordChangedAt = now
            return user
        }
        return Created(user: user, oneTimePassword: password)
    }
}
