import CSodium

/// The prime-order group ristretto255 (RFC 9496) through libsodium: scalars mod ℓ and group elements.
public enum Ristretto255 {
    /// Bytes in an encoded scalar or point.
    public static let encodedLength = 32

    /// An integer modulo the group order ℓ = 2^252 + 27742317777372353535851937790883648493.
    ///
    /// Stored as 32 canonical little-endian bytes. Secret scalars are wiped by their owner with
    /// `wipe()`; that only reaches the real buffer while no copy of the value is alive, so code
    /// holding secrets keeps them in one local and never stores copies.
    public struct Scalar: Sendable, Equatable, Codable {
        /// The canonical little-endian encoding.
        public private(set) var bytes: [UInt8]

        fileprivate init(trustedBytes: [UInt8]) { bytes = trustedBytes }

        /// Decodes 32 little-endian bytes; values ≥ ℓ are refused so each scalar has one encoding.
        public init(canonicalBytes: [UInt8]) throws {
            guard canonicalBytes.count == Ristretto255.encodedLength else {
                throw CryptoError.invalidInput("a ristretto255 scalar is 32 bytes")
            }
            // Reducing the value widened to 64 bytes leaves it unchanged exactly when it is below ℓ.
            var wide = canonicalBytes + [UInt8](repeating: 0, count: 32)
            var reduced = Scalar.reduce64(wide)
            defer { Sodium.wipe(&wide); reduced.wipe() }
            guard Sodium.constantTimeEqual(reduced.bytes, canonicalBytes) else {
                throw CryptoError.invalidInput("ristretto255 scalar is not reduced modulo ℓ")
            }
            // A buffer of its own, so wiping this scalar and wiping the caller's bytes are independent.
            bytes = ThresholdWire.freshCopy(canonicalBytes)
        }

        /// The scalar equal to a small integer (share indices, test values).
        public init(_ value: UInt64) {
            var out = [UInt8](repeating: 0, count: Ristretto255.encodedLength)
            for i in 0..<8 { out[i] = UInt8(value >> UInt64(8 * i) & 0xff) }
            bytes = out
        }

        /// Reduces 64 uniformly random bytes (e.g. a BLAKE2b-512 digest) modulo ℓ without bias.
        public init(reducing wide: [UInt8]) throws {
            guard wide.count == 64 else { throw CryptoError.invalidInput("a wide scalar is 64 bytes") }
            self = Scalar.reduce64(wide)
        }

        /// Reduces exactly 64 bytes modulo ℓ (callers guarantee the length).
        static func reduce64(_ wide: [UInt8]) -> Scalar {
            precondition(wide.count == 64, "reduce64 needs exactly 64 bytes")
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: Ristretto255.encodedLength)
            crypto_core_ristretto255_scalar_reduce(&out, wide)
            return Scalar(trustedBytes: out)
        }

        /// A uniformly random non-zero scalar from the system CSPRNG.
        public static func random() -> Scalar {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: Ristretto255.encodedLength)
            crypto_core_ristretto255_scalar_random(&out)
            return Scalar(trustedBytes: out)
        }

        /// Zero, the additive identity.
        public static let zero = Scalar(0)
        /// One, the multiplicative identity.
        public static let one = Scalar(1)

        /// Whether this is zero (constant time).
        public var isZero: Bool { sodium_is_zero(bytes, bytes.count) == 1 }

        /// Sum modulo ℓ.
        public static func + (a: Scalar, b: Scalar) -> Scalar {
            binary(a, b, crypto_core_ristretto255_scalar_add)
        }

        /// Difference modulo ℓ.
        public static func - (a: Scalar, b: Scalar) -> Scalar {
            binary(a, b, crypto_core_ristretto255_scalar_sub)
        }

        /// Product modulo ℓ.
        public static func * (a: Scalar, b: Scalar) -> Scalar {
            binary(a, b, crypto_core_ristretto255_scalar_mul)
        }

        /// Additive inverse modulo ℓ.
        public static prefix func - (a: Scalar) -> Scalar {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: Ristretto255.encodedLength)
            crypto_core_ristretto255_scalar_negate(&out, a.bytes)
            return Scalar(trustedBytes: out)
        }

        /// Multiplicative inverse modulo ℓ; zero has none and throws.
        public func inverted() throws -> Scalar {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: Ristretto255.encodedLength)
            guard crypto_core_ristretto255_scalar_invert(&out, bytes) == 0 else {
                throw CryptoError.invalidInput("zero has no inverse modulo ℓ")
            }
            return Scalar(trustedBytes: out)
        }

        private static func binary(
            _ a: Scalar, _ b: Scalar,
            _ op: (UnsafeMutablePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>) -> Void
        ) -> Scalar {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: Ristretto255.encodedLength)
            op(&out, a.bytes, b.bytes)
            return Scalar(trustedBytes: out)
        }

        /// Overwrites the value with zeros (see the type's note on copies).
        public mutating func wipe() { Sodium.wipe(&bytes) }

        /// Constant-time comparison, since scalars are often secret.
        public static func == (a: Scalar, b: Scalar) -> Bool { Sodium.constantTimeEqual(a.bytes, b.bytes) }

        /// Decodes from a base64 string, refusing non-canonical values.
        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            try self.init(canonicalBytes: ThresholdWire.bytes(base64: text))
        }

        /// Encodes as a base64 string.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(ThresholdWire.base64(bytes))
        }
    }

    /// A ristretto255 group element in its canonical 32-byte encoding; every value is a valid point.
    public struct Point: Sendable, Hashable, Codable {
        /// The canonical encoding; equal points have equal bytes.
        public private(set) var bytes: [UInt8]

        fileprivate init(trustedBytes: [UInt8]) { bytes = trustedBytes }

        /// Decodes an encoding, refusing wrong lengths and anything that is not a canonical ristretto255 point.
        public init(bytes: [UInt8]) throws {
            Sodium.ensureInitialized()
            guard bytes.count == Ristretto255.encodedLength else {
                throw CryptoError.invalidInput("a ristretto255 point is 32 bytes")
            }
            guard Point.isValidEncoding(bytes) else {
                throw CryptoError.invalidInput("invalid ristretto255 point encoding")
            }
            self.bytes = bytes
        }

        /// Whether `bytes` is the canonical encoding of a group element (the identity included).
        public static func isValidEncoding(_ bytes: [UInt8]) -> Bool {
            Sodium.ensureInitialized()
            return bytes.count == Ristretto255.encodedLength && crypto_core_ristretto255_is_valid_point(bytes) == 1
        }

        /// The standard generator G (RFC 9496 appendix A.1, 1·B).
        public static let generator = Point(trustedBytes: [
            0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00, 0x51, 0x5f,
            0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45, 0xe0, 0x8d, 0x2d, 0x76,
        ])

        /// The neutral element, encoded as 32 zero bytes.
        public static let identity = Point(trustedBytes: [UInt8](repeating: 0, count: Ristretto255.encodedLength))

        /// Overwrites the encoding with zeros, for secret points such as a combined key Z.
        public mutating func wipe() { Sodium.wipe(&bytes) }

        /// Whether this is the neutral element, which no key, R or partial may be.
        public var isIdentity: Bool { bytes.allSatisfy { $0 == 0 } }

        /// Group addition.
        public func adding(_ other: Point) throws -> Point {
            try combine(other, crypto_core_ristretto255_add)
        }

        /// Group subtraction.
        public func subtracting(_ other: Point) throws -> Point {
            try combine(other, crypto_core_ristretto255_sub)
        }

        private func combine(
            _ other: Point,
            _ op: (UnsafeMutablePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>) -> Int32
        ) throws -> Point {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: Ristretto255.encodedLength)
            guard op(&out, bytes, other.bytes) == 0 else { throw CryptoError.operationFailed("ristretto255 group operation failed") }
            return Point(trustedBytes: out)
        }

        /// s·G; throws for s = 0, whose result (the identity) libsodium refuses to return.
        public static func baseMultiple(_ scalar: Scalar) throws -> Point {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: Ristretto255.encodedLength)
            guard crypto_scalarmult_ristretto255_base(&out, scalar.bytes) == 0 else {
                throw CryptoError.invalidInput("scalar multiplication gave the identity element")
            }
            return Point(trustedBytes: out)
        }

        /// s·self; throws when the result is the identity (s = 0 or self is the identity).
        public func multiplied(by scalar: Scalar) throws -> Point {
            Sodium.ensureInitialized()
            var out = [UInt8](repeating: 0, count: Ristretto255.encodedLength)
            guard crypto_scalarmult_ristretto255(&out, scalar.bytes, bytes) == 0 else {
                throw CryptoError.invalidInput("scalar multiplication gave the identity element")
            }
            return Point(trustedBytes: out)
        }

        /// Decodes from a base64 string, validating the point.
        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            try self.init(bytes: ThresholdWire.bytes(base64: text))
        }

        /// Encodes as a base64 string.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(ThresholdWire.base64(bytes))
        }
    }
}
