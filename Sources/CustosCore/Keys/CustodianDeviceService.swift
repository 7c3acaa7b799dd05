import CustosCrypto

/// Custodians' own devices: one-time enrolment codes made on the web, enrolment of a device's public keys with
/// a proof that the device holds the signing key, and the check of every API request a device signs.
/// The server only ever sees public keys; refusals are audited with their reason and at most a fingerprint.
public struct CustodianDeviceService: Sendable {
    let archive: Archive

    /// How long an enrolment code works, in seconds.
    public static let codeLifetime: Int64 = 15 * 60
    /// How far a request's signing time may be from the server's clock, in seconds.
    public static let allowedClockSkew: Int64 = 300
    /// How long a request's nonce is remembered: past it, the time check alone refuses a replay.
    public static let nonceMemory: Int64 = 2 * allowedClockSkew

    /// The service over one archive; its clock decides when codes expire.
    public init(archive: Archive) { self.archive = archive }

    /// A fresh one-time code with which `user` enrols a device, shown once; only its hash is kept. Any earlier
    /// unused code of that person stops working.
    public func createEnrolmentCode(user: User, actor: Actor) throws -> String {
        let code = "enr_" + Base32.encode(Sodium.randomBytes(20))
        let now = archive.clock.now()
        try archive.transaction { tx in
            guard let current = try tx.uow.users.find(id: user.id), Self.isActiveCustodian(current) else {
                throw DomainError.forbidden("Only an active key custodian can enrol a device.")
            }
            try tx.uow.devices.withdrawCodes(userID: current.id, at: now)
            try tx.uow.devices.insertCode(EnrolmentCodeRecord(codeHash: SecretToken.hash(code), userID: current.id, createdAt: now,
                                                              expiresAt: now + Self.codeLifetime, usedAt: nil))
            try tx.record(actor.draft(.enrolmentCodeCreated, target: "user:\(current.username)",
                                      details: ["valid_minutes": "\(Self.codeLifetime / 60)"]))
        }
        return code
    }

    /// Registers a device's public keys with the account whose code it presents. The code must be unused and
    /// unexpired, `proof` must be the signature of `DeviceEnrolment.message` under the device's signing key, and
    /// the person must still be an active custodian. The person's previous device, if any, is revoked.
    public func enrol(code: String, identity: DeviceIdentity, proof: [UInt8], client: String) throws -> (User, DeviceRecord) {
        let now = archive.clock.now()
        var who: User?
        do {
            return try archive.transaction { tx in
                guard code.utf8.count <= 128, let stored = try tx.uow.devices.code(hash: SecretToken.hash(code)) else {
                    throw Refusal("unknown code", .forbidden(
                        "This enrolment code is not valid. Make a new one on the Custodian device page and copy it exactly."))
                }
                who = try tx.uow.users.find(id: stored.userID)
                guard stored.usedAt == nil else {
                    throw Refusal("code already used", .gone(
                        "This enrolment code was already used. Make a new one on the Custodian device page."))
                }
                guard now < stored.expiresAt else {
                    throw Refusal("code expired", .gone(
                        "This enrolment code has expired or was replaced by a newer one. Make a new one on the Custodian device page."))
                }
                let signed = DeviceEnrolment.message(code: code, identity: identity)
                guard Ed25519.verify(signature: proof, message: signed, publicKey: identity.signingKey) else {
                    throw Refusal("proof does not verify", .forbidden(
                        "The enrolment proof does not verify: it was not signed with this device's signing key for this code."))
                }
                guard let user = who, Self.isActiveCustodian(user) else {
                    throw Refusal("not an active custodian", .forbidden(
                        "This account is not an active key custodian, so it cannot enrol a device."))
                }
                guard try !tx.uow.devices.isEnrolled(encryptionKey: identity.encryptionKey.bytes, signingKey: identity.signingKey) else {
                    throw Refusal("keys already enrolled", .conflict(
                        "These keys are already enrolled. Create a new key file with `custos custodian init` to enrol again."))
                }
                try tx.uow.devices.markCodeUsed(hash: stored.codeHash, at: now)
                let actor = Actor(userID: user.id, username: user.username, role: .custodian, client: client)
                if let previous = try tx.uow.devices.active(userID: user.id) {
                    try tx.uow.devices.revoke(id: previous.id, at: now)
                    try tx.record(actor.draft(.deviceRevoked, target: "user:\(user.username)",
                                              details: ["fingerprint": previous.fingerprint, "reason": "replaced by a new enrolment"]))
                }
                let device = try tx.uow.devices.insert(userID: user.id, identity: identity, fingerprint: identity.fingerprint, at: now)
                try tx.record(actor.draft(.deviceEnrolled, target: "user:\(user.username)", details: ["fingerprint": device.fingerprint]))
                return (user, device)
            }
        } catch let refusal as Refusal {
            try archive.record(AuditDraft(actor: who?.username ?? "(anonymous)", role: "none", action: .enrolmentRefused,
                                          target: who.map { "user:\($0.username)" } ?? "",
                                          details: ["reason": refusal.reason, "fingerprint": identity.fingerprint], client: client))
            throw refusal.error
        }
    }

    /// The device in force for a person, if any.
    public func device(of userID: Int64) throws -> DeviceRecord? {
        try archive.read { try $0.devices.active(userID: userID) }
    }

    /// Checks one signed API request from its header values (`DeviceRequestSignature`): a known device in force,
    /// of an active custodian, signed within `allowedClockSkew` of `now` under a nonce this device has not used,
    /// over exactly this method, path, query and body. The nonce is remembered in the same transaction.
    public func authenticate(method: String, path: String, body: [UInt8], device: String, time: String, nonce: String,
                             signature: String, now: Int64, client: String = "unknown") throws -> (User, DeviceRecord) {
        var known: (user: User?, device: DeviceRecord)?
        do {
            guard let key = DeviceRequestSignature.bytes(base64: device), key.count == Ed25519.publicKeyLength,
                  let signedAt = Int64(time), String(signedAt) == time,
                  let nonceBytes = DeviceRequestSignature.bytes(base64: nonce), nonceBytes.count == DeviceRequestSignature.nonceLength,
                  let signatureBytes = DeviceRequestSignature.bytes(base64: signature), signatureBytes.count == Ed25519.signatureLength else {
                throw Refusal("malformed headers", .authenticationFailed(
                    "The request's device signature headers are malformed (Custos-Device, Custos-Time, Custos-Nonce, Custos-Signature)."))
            }
            return try archive.transaction { tx in
                guard let record = try tx.uow.devices.find(signingKey: key) else {
                    throw Refusal("unknown device", .authenticationFailed("This device is not enrolled. Enrol it with `custos custodian enrol`."))
                }
                let user = try tx.uow.users.find(id: record.userID)
                known = (user, record)
                guard record.revokedAt == nil else {
                    throw Refusal("device revoked", .authenticationFailed(
                        "This device was replaced by a newer enrolment and no longer counts."))
                }
                guard let user, Self.isActiveCustodian(user) else {
                    throw Refusal("not an active custodian", .authenticationFailed(
                        "The account this device belongs to is not an active key custodian."))
                }
                guard signedAt >= now - Self.allowedClockSkew, signedAt <= now + Self.allowedClockSkew else {
                    throw Refusal("time out of range", .authenticationFailed(
                        "The request was signed more than \(Self.allowedClockSkew / 60) minutes from the server's time; check this machine's clock."))
                }
                let message = DeviceRequestSignature.message(method: method, path: path, body: body, time: signedAt, nonce: nonce)
                guard Ed25519.verify(signature: signatureBytes, message: message, publicKey: key) else {
                    throw Refusal("bad signature", .authenticationFailed("The request's signature does not verify."))
                }
                try tx.uow.devices.forgetNonces(before: now - Self.nonceMemory)
                guard try tx.uow.devices.recordNonce(signingKey: key, nonce: nonceBytes, at: now) else {
                    throw Refusal("nonce replayed", .authenticationFailed(
                        "This request was already received once (its nonce is used); sign a new one."))
                }
                return (user, record)
            }
        } catch let refusal as Refusal {
            var details = ["reason": refusal.reason]
            if let known { details["fingerprint"] = known.device.fingerprint }
            let username = known?.user?.username
            try archive.record(AuditDraft(actor: username ?? "(unknown device)", role: "none", action: .deviceRequestRefused,
                                          target: username.map { "user:\($0)" } ?? "", details: details, client: client))
            throw refusal.error
        }
    }

    /// Whether a person may hold and use a custodian device now.
    static func isActiveCustodian(_ user: User) -> Bool {
        !user.disabled && user.roles.contains(.custodian)
    }

    /// A refusal inside a transaction: rolled back, then audited with `reason` and answered with `error`.
    private struct Refusal: Error {
        var reason: String
        var error: DomainError
        init(_ reason: String, _ error: DomainError) {
            self.reason = reason
            self.error = error
        }
    }
}
