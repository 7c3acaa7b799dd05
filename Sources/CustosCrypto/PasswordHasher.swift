import CArgon2
import Foundation

/// Login-password hashing: Argon2id in the PHC string format, which carries its own salt and
/// parameters so they can be raised later and old hashes upgraded at the next successful login.
public struct PasswordHasher: Sendable {
    /// Random salt length in bytes.
    public static let saltLength = 16
    /// Hash (tag) length in bytes.
    public static let hashLength = 32
    /// The most a stored hash may ask `verify` to spend (1 GiB, t = 32, p = 16): a tampered row
    /// must not be able to turn one login attempt into an unbounded allocation.
    public static let verificationLimit = Argon2id.Parameters(memoryKiB: 1 << 20, iterations: 32, parallelism: 16)

    /// The parameters new hashes are made with.
    public let parameters: Argon2id.Parameters

    /// A hasher producing hashes with `parameters` (at least the `.password` minimum in production).
    public init(parameters: Argon2id.Parameters = .password) {
        self.parameters = parameters
    }

    /// A PHC string `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` with a fresh 16-byte salt.
    public func hash(_ password: String) throws -> String {
        var pwd = Self.passwordBytes(password)
        defer { Sodium.wipe(&pwd) }
        let salt = Sodium.randomBytes(Self.saltLength)
        let p = parameters
        let length = argon2_encodedlen(p.iterations, p.memoryKiB, p.parallelism,
                                       UInt32(Self.saltLength), UInt32(Self.hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length + 1)
        let rc = argon2id_hash_encoded(p.iterations, p.memoryKiB, p.parallelism, pwd, pwd.count,
                                       salt, salt.count, Self.hashLength, &encoded, encoded.count)
        guard rc == ARGON2_OK.rawValue else { throw CryptoError.operationFailed("Argon2id hashing failed (\(rc))") }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches `encoded` (constant-time tag comparison inside libargon2);
    /// false for anything malformed, not Argon2id v19, or beyond `verificationLimit`.
    public func verify(_ password: String, encoded: String) -> Bool {
        guard let stored = Self.parse(encoded)?.parameters else { return false }
        let limit = Self.verificationLimit
        guard stored.memoryKiB <= limit.memoryKiB, stored.iterations <= limit.iterations,
              stored.parallelism <= limit.parallelism else { return false }
        var pwd = Self.passwordBytes(password)
        defer { Sodium.wipe(&pwd) }
        return argon2id_verify(encoded, pwd, pwd.count) == ARGON2_OK.rawValue
    }

    /// True when `encoded` is unparseable, not Argon2id v19, weaker than this hasher in m, t or p,
    /// or has a shorter salt or hash than this hasher makes.
    public func needsRehash(_ encoded: String) -> Bool {
        guard let stored = Self.parse(encoded) else { return true }
        let p = stored.parameters
        return p.memoryKiB < parameters.memoryKiB || p.iterations < parameters.iterations
            || p.parallelism < parameters.parallelism
            || stored.saltLength < Self.saltLength || stored.hashLength < Self.hashLength
    }

    /// What a PHC string says about itself: cost parameters and decoded salt and hash lengths.
    struct EncodedHash: Equatable {
        var parameters: Argon2id.Parameters
        var saltLength: Int
        var hashLength: Int
    }

    /// The contents of a well-formed `$argon2id$v=19$m=…,t=…,p=…$salt$hash` string, else nil.
    static func parse(_ encoded: String) -> EncodedHash? {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty, fields[1] == "argon2id", fields[2] == "v=19" else { return nil }
        let costs = fields[3].split(separator: ",", omittingEmptySubsequences: false)
        guard costs.count == 3,
              let m = number(costs[0], key: "m="), let t = number(costs[1], key: "t="),
              let p = number(costs[2], key: "p="), m > 0, t > 0, p > 0,
              isBase64(fields[4]), isBase64(fields[5])
        else { return nil }
        // Unpadded base64: every 4 characters carry 3 bytes, a trailing 2 or 3 carry 1 or 2.
        return EncodedHash(parameters: Argon2id.Parameters(memoryKiB: m, iterations: t, parallelism: p),
                           saltLength: fields[4].utf8.count * 3 / 4, hashLength: fields[5].utf8.count * 3 / 4)
    }

    private static func number(_ field: Substring, key: String) -> UInt32? {
        guard field.hasPrefix(key) else { return nil }
        let digits = field.dropFirst(key.count)
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt32(digits)
    }

    private static func isBase64(_ field: Substring) -> Bool {
        !field.isEmpty && field.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): true
            default: false
            }
        }
    }

    /// NFKC-normalized UTF-8 (NIST SP 800-63B §5.1.1.2), so the same typed password matches
    /// whichever Unicode form a browser or keyboard produced.
    static func passwordBytes(_ password: String) -> [UInt8] {
        Array(password.precomposedStringWithCompatibilityMapping.utf8)
    }
}

extension Argon2id {
    /// Keyed Argon2id with RFC 9106's secret K and associated data X (used by the RFC 9106 known
    /// answers; kept internal until a pepper is wanted).
    static func deriveKey(password: [UInt8], salt: [UInt8], secret: [UInt8], associatedData: [UInt8],
                          parameters: Parameters, length: Int = 32) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var pwd = password, salt = salt, secret = secret, ad = associatedData
        defer { Sodium.wipe(&pwd); Sodium.wipe(&secret) }
        let rc = out.withUnsafeMutableBufferPointer { o in
            pwd.withUnsafeMutableBufferPointer { p in
                salt.withUnsafeMutableBufferPointer { s in
                    secret.withUnsafeMutableBufferPointer { k in
                        ad.withUnsafeMutableBufferPointer { x in
                            var context = argon2_context(
                                out: o.baseAddress, outlen: UInt32(o.count), pwd: p.baseAddress, pwdlen: UInt32(p.count),
                                salt: s.baseAddress, saltlen: UInt32(s.count), secret: k.baseAddress,
                                secretlen: UInt32(k.count), ad: x.baseAddress, adlen: UInt32(x.count),
                                t_cost: parameters.iterations, m_cost: parameters.memoryKiB,
                                lanes: parameters.parallelism, threads: parameters.parallelism,
                                version: UInt32(ARGON2_VERSION_13.rawValue), allocate_cbk: nil, free_cbk: nil, flags: 0)
                            return argon2_ctx(&context, Argon2_id)
                        }
                    }
                }
            }
        }
        guard rc == ARGON2_OK.rawValue else { throw CryptoError.operationFailed("Argon2id derivation failed (\(rc))") }
        return out
    }
}
