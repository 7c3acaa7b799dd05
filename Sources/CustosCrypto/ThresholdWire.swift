import CSodium

/// Byte and base64 helpers behind the stable serialisations of threshold and envelope artefacts.
///
/// Every binary form is: a one-byte format version, then fixed-width big-endian integers,
/// fixed-length byte strings, and `u32` length-prefixed byte strings, with no trailing bytes.
/// Base64 is RFC 4648 §4 (standard alphabet, padded), decoded strictly by libsodium.
enum ThresholdWire {
    /// Encodes bytes as padded standard base64.
    static func base64(_ bytes: [UInt8]) -> String {
        Sodium.ensureInitialized()
        let variant = sodium_base64_VARIANT_ORIGINAL
        let capacity = sodium_base64_encoded_len(bytes.count, variant)
        var out = [CChar](repeating: 0, count: capacity)
        sodium_bin2base64(&out, capacity, bytes, bytes.count, variant)
        // The output is NUL-terminated ASCII; drop the terminator.
        return String(decoding: out.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Decodes padded standard base64, rejecting any other character, bad padding or non-zero spare bits.
    static func bytes(base64 text: String) throws -> [UInt8] {
        Sodium.ensureInitialized()
        let inputLength = text.utf8.count
        if inputLength == 0 { return [] }
        var out = [UInt8](repeating: 0, count: inputLength / 4 * 3 + 3)
        var length = 0
        // No ignore set and no end pointer: any stray character makes libsodium fail.
        let rc = sodium_base642bin(&out, out.count, text, inputLength, nil, &length, nil, sodium_base64_VARIANT_ORIGINAL)
        guard rc == 0 else { throw CryptoError.invalidInput("invalid base64") }
        out.removeLast(out.count - length)
        return out
    }

    /// Copies secret bytes into a buffer of their own, so the owner's wipe reaches the only copy it holds.
    static func freshCopy(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            _ = buffer.initialize(from: bytes)
            count = bytes.count
        }
    }

    /// Builds a binary serialisation field by field.
    struct Writer {
        private(set) var bytes: [UInt8] = []

        /// Starts a serialisation with its format version byte; `capacity` avoids reallocating copies.
        init(version: UInt8, capacity: Int = 64) {
            bytes.reserveCapacity(capacity)
            bytes.append(version)
        }

        mutating func u32(_ value: Int) {
            let v = UInt32(truncatingIfNeeded: value)
            bytes += [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        }

        mutating func i64(_ value: Int64) {
            let v = UInt64(bitPattern: value)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(v >> UInt64(shift) & 0xff)) }
        }

        mutating func fixed(_ data: [UInt8]) { bytes += data }

        /// Hands over the bytes and forgets them, so the result is the only reference (and wipeable).
        mutating func take() -> [UInt8] {
            defer { bytes = [] }
            return bytes
        }

        mutating func prefixed(_ data: [UInt8]) {
            u32(data.count)
            bytes += data
        }
    }

    /// Reads a binary serialisation, throwing `invalidInput` on truncation, bad versions or trailing bytes.
    struct Reader {
        private let bytes: [UInt8]
        private var offset = 0
        private let what: String

        /// Opens `bytes`, requiring the given version byte; `what` names the artefact in errors.
        init(_ bytes: [UInt8], version: UInt8, what: String) throws {
            self.bytes = bytes
            self.what = what
            guard try u8() == version else { throw CryptoError.invalidInput("unsupported \(what) format version") }
        }

        mutating func u8() throws -> UInt8 { try fixed(1)[0] }

        mutating func u32() throws -> Int {
            try fixed(4).reduce(0) { $0 << 8 | Int($1) }
        }

        mutating func i64() throws -> Int64 {
            Int64(bitPattern: try fixed(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        }

        mutating func fixed(_ count: Int) throws -> [UInt8] {
            guard count >= 0, bytes.count - offset >= count else { throw CryptoError.invalidInput("\(what) is truncated") }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        /// A length-prefixed field, refusing lengths above `maximum` before reading them.
        mutating func prefixed(maximum: Int) throws -> [UInt8] {
            let count = try u32()
            guard count <= maximum else { throw CryptoError.invalidInput("\(what) has an oversized field") }
            return try fixed(count)
        }

        /// Requires that every byte was consumed, so each value has exactly one encoding.
        func finish() throws {
            guard offset == bytes.count else { throw CryptoError.invalidInput("\(what) has trailing bytes") }
        }
    }
}

/// Reads and writes byte strings as base64 inside `Codable` containers.
extension KeyedDecodingContainer {
    func decodeBase64(forKey key: Key) throws -> [UInt8] {
        try ThresholdWire.bytes(base64: decode(String.self, forKey: key))
    }
}

extension KeyedEncodingContainer {
    mutating func encodeBase64(_ bytes: [UInt8], forKey key: Key) throws {
        try encode(ThresholdWire.base64(bytes), forKey: key)
    }
}
