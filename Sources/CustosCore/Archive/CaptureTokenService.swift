import Foundation
import CustosCrypto

/// Named bearer tokens for capture clients: shown once, stored as BLAKE2b hashes, revocable.
public struct CaptureTokenService: Sendable {
    let archive: Archive

    public init(archive: Archive) { self.archive = archive }

    /// Creates a token; the secret is returned once and never stored.
    public func create(name rawName: String, actor: Actor) throws -> (record: CaptureTokenRecord, secret: String) {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...80).contains(name.count) else { throw DomainError.invalidInput("Name the token (1 to 80 characters), e.g. the system it captures.") }
        let secret = "cst_" + SecretToken.generate()
        let record = try archive.transaction { tx in
            let r = try tx.uow.captureTokens.create(name: name, tokenHash: SecretToken.hash(secret), at: archive.clock.now(), by: actor.username)
            try tx.record(actor.draft(.captureTokenCreated, target: "capture_token:\(r.id)", details: ["name": name]))
            return r
        }
        return (record, secret)
    }

    /// Revokes a token at once; later uploads with it are refused.
    public func revoke(id: Int64, actor: Actor) throws {
        _ = try archive.transaction { tx in
            guard let r = try tx.uow.captureTokens.find(id: id) else { throw DomainError.notFound("No such capture token.") }
            guard r.revokedAt == nil else { throw DomainError.conflict("This token is already revoked.") }
            try tx.uow.captureTokens.revoke(id: id, at: archive.clock.now())
            try tx.record(actor.draft(.captureTokenRevoked, target: "capture_token:\(id)", details: ["name": r.name]))
        }
    }

    /// The live token for a presented secret, or nil.
    public func authenticate(_ secret: String) throws -> CaptureTokenRecord? {
        guard secret.hasPrefix("cst_"), secret.utf8.count == 47 else { return nil }
        guard let r = try archive.read({ try $0.captureTokens.find(tokenHash: SecretToken.hash(secret)) }), r.revokedAt == nil else {
            return nil
        }
        return r
    }

    /// Every token, for the admin page.
    public func all() throws -> [CaptureTokenRecord] {
        try archive.read { try $0.captureTokens.all() }
    }
}
