import CustosCore

/// Users and their roles in SQLite.
struct SQLUserRepository: UserRepository {
    let db: any SQLDatabase

    private static let columns = """
        id, username, display_name, password_hash, must_change_password, totp_secret_sealed,
        totp_last_counter, disabled, created_at, password_changed_at, last_login_at, one_time_password_expires_at
        """

    func create(_ u: NewUser) throws -> User {
        let id = try db.insert("""
            INSERT INTO users (username, display_name, password_hash, must_change_password, created_at, password_changed_at,
                               one_time_password_expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, u.username, u.displayName, u.passwordHash, u.mustChangePassword, u.createdAt, u.createdAt,
            u.mustChangePassword ? u.oneTimePasswordExpiresAt : nil)
        try setRoles(userID: id, roles: u.roles, grantedBy: nil, at: u.createdAt)
        guard let user = try find(id: id) else { throw DomainError.notFound("user vanished after insert") }
        return user
    }

    func find(id: Int64) throws -> User? {
        guard let row = try db.queryOne("SELECT " + Self.columns + " FROM users WHERE id = ?", id) else { return nil }
        return try user(from: row)
    }

    func find(username: String) throws -> User? {
        guard let row = try db.queryOne("SELECT " + Self.columns + " FROM users WHERE username = ?", username) else { return nil }
        return try user(from: row)
    }

    func all() throws -> [User] {
        try db.query("SELECT " + Self.columns + " FROM users ORDER BY username").map(user(from:))
    }

    func count() throws -> Int {
        Int(try db.queryOne("SELECT count(*) FROM users")?.int(0) ?? 0)
    }

    func updatePassword(userID: Int64, hash: String, mustChange: Bool, oneTimeUntil: Int64?, at: Int64) throws {
        try db.run("""
            UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ?, one_time_password_expires_at = ?
            WHERE id = ?
            """, hash, mustChange, at, mustChange ? oneTimeUntil : nil, userID)
    }

    func setTOTP(userID: Int64, sealedSecret: [UInt8]?, lastCounter: Int64?) throws {
        try db.run("UPDATE users SET totp_secret_sealed = ?, totp_last_counter = ? WHERE id = ?", sealedSecret, lastCounter, userID)
    }

    func advanceTOTPCounter(userID: Int64, to counter: Int64) throws -> Bool {
        try db.run("""
            UPDATE users SET totp_last_counter = ?
            WHERE id = ? AND (totp_last_counter IS NULL OR totp_last_counter < ?)
            """, counter, userID, counter) == 1
    }

    func setDisabled(userID: Int64, disabled: Bool) throws {
        try db.run("UPDATE users SET disabled = ? WHERE id = ?", disabled, userID)
    }

    func setRoles(userID: Int64, roles: Set<Role>, grantedBy: Int64?, at: Int64) throws {
        try db.run("DELETE FROM user_roles WHERE user_id = ?", userID)
        for role in roles.sorted() {
            try db.run("INSERT INTO user_roles (user_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?)",
                       userID, role.rawValue, at, grantedBy)
        }
    }

    func recordLogin(userID: Int64, at: Int64) throws {
        try db.run("UPDATE users SET last_login_at = ? WHERE id = ?", at, userID)
    }

    private func user(from row: SQLRow) throws -> User {
        let id = try row.int(0)
        let roles = try db.query("SELECT role FROM user_roles WHERE user_id = ?", id).compactMap { Role(rawValue: try $0.text(0)) }
        return User(id: id, username: try row.text(1), displayName: try row.text(2), passwordHash: try row.text(3),
                    mustChangePassword: try row.bool(4), totpSecretSealed: try row.optionalBlob(5),
                    totpLastCounter: try row.optionalInt(6), disabled: try row.bool(7), createdAt: try row.int(8),
                    passwordChangedAt: try row.int(9), lastLoginAt: try row.optionalInt(10), roles: Set(roles),
                    oneTimePasswordExpiresAt: try row.optionalInt(11))
    }
}
