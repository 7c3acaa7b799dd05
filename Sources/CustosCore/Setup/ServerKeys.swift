import CustosCrypto
import Foundation

/// The server's own keys, kept as files under `DATA/keys` (mode 0600, directory 0700) and never
/// in the database, so a stolen database file or backup holds none of them (P1).
///
/// The two 32-byte key files are KDF masters only: every use has its own subkey from libsodium's
/// `crypto_kdf` (BLAKE2b), so no value is sealed or hashed under a master itself and learning one
/// subkey reveals neither its master nor another subkey.
public struct ServerKeys: Sendable {
    /// The master of the sealing subkeys (`metadata.key`). Used directly only to open values sealed
    /// before subkeys (audit entries written then cannot be re-sealed); nothing new is sealed with it.
    let metadataKey: [UInt8]
    /// Master key of the blind index and the throttle (`blind-index.key`); one subkey per field is derived from it.
    public let blindIndexKey: [UInt8]
    /// Signs audit checkpoints.
    public let auditSigning: Ed25519.KeyPair

    /// Seals display values (participants, conversations, matters, hold terms, reasons, saved searches, sealed
    /// audit details): subkey 1 of `metadata.key` in context "custosmd".
    public let displayKey: [UInt8]
    /// Seals enrolled TOTP secrets: subkey 2, "custosmd".
    let totpKey: [UInt8]
    /// Seals the secret of a TOTP enrolment in progress, carried by the confirmation form: subkey 3, "custosmd".
    let enrolmentKey: [UInt8]
    /// Seals partial decryptions and grant keys: subkey 1 in context "cgrant01" (as since grants began).
    let grantKey: [UInt8]
    /// Keys the throttle's subject tokens: subkey 1 of `blind-index.key` in context "cthrottl".
    let throttleKey: [UInt8]

    static let metadataContext = "custosmd"

    static let files = ["metadata.key", "blind-index.key", "audit-signing.key"]
    /// The audit-signing public key in hex, world-readable: all an offline verifier needs.
    static let auditPublicFile = "audit-signing.pub"

    /// Creates fresh random keys in `directory`, which must not exist yet.
    public static func create(in directory: String) throws -> ServerKeys {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: directory) else {
            throw DomainError.conflict("\(directory) already exists; refusing to overwrite server keys")
        }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let keys = try ServerKeys(metadataKey: Sodium.randomBytes(32), blindIndexKey: Sodium.randomBytes(32),
                                  auditSeed: Sodium.randomBytes(32))
        var seed = try keys.auditSeed()
        defer { Sodium.wipe(&seed) }
        for (name, bytes) in zip(files, [keys.metadataKey, keys.blindIndexKey, seed]) {
            let path = (directory as NSString).appendingPathComponent(name)
            guard fm.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                throw DomainError.conflict("could not write \(path)")
            }
        }
        let pub = (directory as NSString).appendingPathComponent(auditPublicFile)
        _ = fm.createFile(atPath: pub, contents: Data(Hex.encode(keys.auditSigning.publicKey).utf8),
                          attributes: [.posixPermissions: 0o644])
        return keys
    }

    /// Loads the keys from `directory`, refusing files that others can read.
    public static func load(from directory: String) throws -> ServerKeys {
        var loaded: [[UInt8]] = []
        for name in files {
            let path = (directory as NSString).appendingPathComponent(name)
            let attrs: [FileAttributeKey: Any]
            do { attrs = try FileManager.default.attributesOfItem(atPath: path) } catch {
                throw DomainError.notFound("server key \(path) is missing")
            }
            if let mode = attrs[.posixPermissions] as? Int, mode & 0o077 != 0 {
                throw DomainError.forbidden("server key \(path) is readable by other users (mode \(String(mode, radix: 8))); run chmod 600 on it")
            }
            guard let data = FileManager.default.contents(atPath: path), data.count == 32 else {
                throw DomainError.invalidInput("server key \(path) is not 32 bytes")
            }
            loaded.append([UInt8](data))
        }
        return try ServerKeys(metadataKey: loaded[0], blindIndexKey: loaded[1], auditSeed: loaded[2])
    }

    /// Reads the audit-signing public key that `create` wrote beside the secret keys, so a verifier
    /// needs none of the secrets.
    public static func auditPublicKey(in directory: String) throws -> [UInt8] {
        let path = (directory as NSString).appendingPathComponent(auditPublicFile)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let key = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count == Ed25519.publicKeyLength else {
            throw DomainError.invalidInput("\(path) is missing or is not a 32-byte public key in hex")
        }
        return key
    }

    init(metadataKey: [UInt8], blindIndexKey: [UInt8], auditSeed: [UInt8]) throws {
        self.metadataKey = metadataKey
        self.blindIndexKey = blindIndexKey
        self.auditSigning = try Ed25519.keyPair(seed: auditSeed)
        displayKey = try KeyDerivation.subkey(masterKey: metadataKey, id: 1, context: Self.metadataContext)
        totpKey = try KeyDerivation.subkey(masterKey: metadataKey, id: 2, context: Self.metadataContext)
        enrolmentKey = try KeyDerivation.subkey(masterKey: metadataKey, id: 3, context: Self.metadataContext)
        grantKey = try KeyDerivation.subkey(masterKey: metadataKey, id: 1, context: "cgrant01")
        throttleKey = try KeyDerivation.subkey(masterKey: blindIndexKey, id: 1, context: "cthrottl")
    }

    /// Keys for tests: random, never written anywhere.
    public static func ephemeral() throws -> ServerKeys {
        try ServerKeys(metadataKey: Sodium.randomBytes(32), blindIndexKey: Sodium.randomBytes(32),
                       auditSeed: Sodium.randomBytes(32))
    }

    /// The Ed25519 seed is the first 32 bytes of libsodium's 64-byte secret key.
    private func auditSeed() throws -> [UInt8] { Array(auditSigning.secretKey.prefix(32)) }
}
