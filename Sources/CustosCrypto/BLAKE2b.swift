import CSodium

/// BLAKE2b (libsodium's `crypto_generichash`), keyed or unkeyed, one-shot or streaming.
public enum BLAKE2b {
    /// One-shot hash of `data`; `key` (16...64 bytes) makes it a MAC / PRF.
    public static func hash(_ data: [UInt8], key: [UInt8]? = nil, outputLength: Int = 32) -> [UInt8] {
        data.withUnsafeBufferPointer { oneShot(UnsafeRawBufferPointer($0), key: key ?? [], outputLength: outputLength) }
    }

    /// One-shot hash of a string's UTF-8 bytes, read in place (no copy into an array).
    public static func hash(utf8 string: String, key: [UInt8]? = nil, outputLength: Int = 32) -> [UInt8] {
        var string = string
        return string.withUTF8 { oneShot(UnsafeRawBufferPointer($0), key: key ?? [], outputLength: outputLength) }
    }

    /// `crypto_generichash` in one call: no streaming state to allocate, align and wipe. Same digest as `Hasher`.
    private static func oneShot(_ data: UnsafeRawBufferPointer, key: [UInt8], outputLength: Int) -> [UInt8] {
        Sodium.ensureInitialized()
        precondition(outputLength >= 16 && outputLength <= 64, "BLAKE2b output length out of range")
        precondition(key.isEmpty || (key.count >= 16 && key.count <= 64), "BLAKE2b key length out of range")
        return [UInt8](unsafeUninitializedCapacity: outputLength) { out, initialized in
            key.withUnsafeBufferPointer { k in
                _ = crypto_generichash(out.baseAddress!, outputLength, data.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                       UInt64(data.count), k.isEmpty ? nil : k.baseAddress, key.count)
            }
            initialized = outputLength
        }
    }

    /// Streaming BLAKE2b for inputs assembled from several parts.
    /// libsodium's state is 64-byte aligned, which Swift cannot import, so it lives in raw memory.
    public final class Hasher {
        private let state: OpaquePointer
        private let raw: UnsafeMutableRawPointer
        private let outputLength: Int

        /// Starts a hash; `outputLength` is 16...64 bytes, `key` empty or 16...64 bytes.
        public init(key: [UInt8]? = nil, outputLength: Int = 32) {
            Sodium.ensureInitialized()
            precondition(outputLength >= 16 && outputLength <= 64, "BLAKE2b output length out of range")
            self.outputLength = outputLength
            raw = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
            state = OpaquePointer(raw)
            let key = key ?? []
            precondition(key.isEmpty || (key.count >= 16 && key.count <= 64), "BLAKE2b key length out of range")
            key.withUnsafeBufferPointer { k in
                _ = crypto_generichash_init(state, k.isEmpty ? nil : k.baseAddress, key.count, outputLength)
            }
        }

        deinit {
            sodium_memzero(raw, crypto_generichash_statebytes())
            raw.deallocate()
        }

        /// Absorbs more input.
        public func update(_ data: [UInt8]) {
            data.withUnsafeBufferPointer { d in
                _ = crypto_generichash_update(state, d.baseAddress, UInt64(data.count))
            }
        }

        /// Absorbs the UTF-8 bytes of a string.
        public func update(_ string: String) {
            update(Array(string.utf8))
        }

        /// Produces the digest; the hasher must not be used afterwards.
        public func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: outputLength)
            out.withUnsafeMutableBufferPointer { o in
                _ = crypto_generichash_final(state, o.baseAddress!, outputLength)
            }
            return out
        }
    }
}
