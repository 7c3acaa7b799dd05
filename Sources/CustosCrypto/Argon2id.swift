import CArgon2

/// Raw Argon2id key derivation (RFC 9106) through libargon2.
public enum Argon2id {
    /// Cost parameters: memory in KiB, passes, lanes.
    public struct Parameters: Sendable, Equatable, Hashable {
        public var memoryKiB: UInt32
        public var iterations: UInt32
        public var parallelism: UInt32

        public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
        }

        /// Login passwords: OWASP's minimum for Argon2id (19 MiB, t = 2, p = 1).
        public static let password = Parameters(memoryKiB: 19 * 1024, iterations: 2, parallelism: 1)
        /// Custodian passphrases, which guard key shares (64 MiB, t = 3, p = 1).
        public static let custodian = Parameters(memoryKiB: 64 * 1024, iterations: 3, parallelism: 1)
    }

    /// Derives `length` bytes from a password and salt (salt at least 8 bytes).
    public static func deriveKey(password: [UInt8], salt: [UInt8], parameters: Parameters, length: Int = 32) throws -> [UInt8] {
        guard salt.count >= 8 else { throw CryptoError.invalidInput("Argon2 salt must be at least 8 bytes") }
        var out = [UInt8](repeating: 0, count: length)
        let rc = out.withUnsafeMutableBufferPointer { o in
            password.withUnsafeBufferPointer { p in
                salt.withUnsafeBufferPointer { s in
                    argon2id_hash_raw(parameters.iterations, parameters.memoryKiB, parameters.parallelism,
                                      p.baseAddress, password.count, s.baseAddress, salt.count,
                                      o.baseAddress, length)
                }
            }
        }
        guard rc == ARGON2_OK.rawValue else { throw CryptoError.operationFailed("Argon2id derivation failed (\(rc))") }
        return out
    }
}
