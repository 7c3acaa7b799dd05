import CSodium

/// Process-wide libsodium initialisation and the few primitives every other file needs.
public enum Sodium {
    /// Initialises libsodium once; every public entry point of this module calls it first.
    /// `sodium_init` is idempotent and thread-safe, so calling it repeatedly is cheap.
    @inline(__always)
    public static func ensureInitialized() {
        _ = initialized
    }

    private static let initialized: Bool = {
        guard sodium_init() >= 0 else {
            preconditionFailure("libsodium could not be initialised")
        }
        return true
    }()

    /// `count` bytes from the operating system's CSPRNG.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        ensureInitialized()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return bytes
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        ensureInitialized()
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0
            }
        }
    }

    /// Overwrites a buffer with zeros in a way the optimiser may not remove.
    public static func wipe(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) }
    }
}

/// Errors raised by the cryptographic layer. They never carry key material or plaintext.
public enum CryptoError: Error, Equatable, Sendable {
    case invalidKey(String)
    case invalidInput(String)
    case authenticationFailed
    case operationFailed(String)
}
