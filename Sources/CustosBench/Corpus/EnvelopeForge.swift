import CustosCrypto

/// Structurally valid envelopes without the cost of sealing: R from a small pool of real ristretto255
/// points, a random nonce, random ciphertext bytes of the right length and their real BLAKE2b-256.
/// The server cannot tell these from sealed ones (it never holds a key that could) and does the same work.
struct EnvelopeForge: Sendable {
    /// Encoded points r·G for random r, computed once.
    let ephemeralPool: [[UInt8]]

    /// A forge with `poolSize` precomputed ephemeral points.
    init(poolSize: Int = 64) throws {
        ephemeralPool = try (0..<poolSize).map { _ in try Ristretto255.Point.baseMultiple(.random()).bytes }
    }

    /// The envelope fields of `message`, derived from the message's index so reruns produce the same bytes.
    func envelope(for message: SyntheticMessage, seed: UInt64) -> ForgedEnvelope {
        var rng = BenchRandom(seed: seed ^ 0xE7E1_09E0 &+ UInt64(message.index) &* 0xA24B_AED4_963E_E407)
        var nonce: [UInt8] = []
        nonce.reserveCapacity(XChaCha20Poly1305.nonceLength)
        rng.append(XChaCha20Poly1305.nonceLength, to: &nonce)
        var ciphertext: [UInt8] = []
        let length = message.size + XChaCha20Poly1305.tagLength
        ciphertext.reserveCapacity(length)
        rng.append(length, to: &ciphertext)
        return ForgedEnvelope(ephemeral: ephemeralPool[rng.below(ephemeralPool.count)], nonce: nonce,
                              ciphertext: ciphertext, ciphertextHash: BLAKE2b.hash(ciphertext))
    }
}

/// R, nonce, ciphertext (tag included) and BLAKE2b-256(ciphertext), as raw bytes.
struct ForgedEnvelope: Sendable {
    let ephemeral: [UInt8]
    let nonce: [UInt8]
    let ciphertext: [UInt8]
    let ciphertextHash: [UInt8]
}
