/// The unencrypted facts about a captured message, authenticated as the envelope's associated data.
public struct EnvelopeHeader: Sendable, Equatable, Codable {
    /// The capture uid (idempotency key), 1...`maximumUIDLength` UTF-8 bytes.
    public var uid: String
    /// The archive key epoch the envelope is sealed to.
    public var epoch: Int
    /// The source platform (email, slack, …), 1...`maximumPlatformLength` UTF-8 bytes.
    public var platform: String
    /// When the message was sent, in Unix seconds.
    public var sentAt: Int64

    /// Longest uid accepted, in UTF-8 bytes.
    public static let maximumUIDLength = 1024
    /// Longest platform name accepted, in UTF-8 bytes.
    public static let maximumPlatformLength = 64

    /// Plain memberwise initialiser; `validate()` runs wherever a header is sealed, opened or decoded.
    public init(uid: String, epoch: Int, platform: String, sentAt: Int64) {
        self.uid = uid
        self.epoch = epoch
        self.platform = platform
        self.sentAt = sentAt
    }

    /// Throws unless the uid and platform are non-empty and within their limits and the epoch is non-negative.
    public func validate() throws {
        guard (1...Self.maximumUIDLength).contains(uid.utf8.count) else { throw CryptoError.invalidInput("uid must be 1 to 1024 bytes") }
        guard (1...Self.maximumPlatformLength).contains(platform.utf8.count) else {
            throw CryptoError.invalidInput("platform must be 1 to 64 bytes")
        }
        guard epoch >= 0 else { throw CryptoError.invalidInput("epoch must not be negative") }
    }

    /// The AD bytes: `0x01 ‖ u32 len ‖ uid ‖ i64 epoch ‖ u32 len ‖ platform ‖ i64 sent_at`.
    ///
    /// Integers are big-endian, strings are their exact UTF-8 bytes (no Unicode normalisation),
    /// and each string carries its length, so two different headers never encode alike.
    public var canonicalEncoding: [UInt8] {
        var writer = ThresholdWire.Writer(version: 1, capacity: 32 + uid.utf8.count + platform.utf8.count)
        writer.prefixed(Array(uid.utf8))
        writer.i64(Int64(epoch))
        writer.prefixed(Array(platform.utf8))
        writer.i64(sentAt)
        return writer.take()
    }

    /// Parses `canonicalEncoding`, refusing invalid UTF-8, trailing bytes and out-of-range fields.
    public init(canonicalEncoding bytes: [UInt8]) throws {
        var reader = try ThresholdWire.Reader(bytes, version: 1, what: "envelope header")
        let uid = try EnvelopeHeader.utf8(reader.prefixed(maximum: Self.maximumUIDLength))
        let epoch = try reader.i64()
        let platform = try EnvelopeHeader.utf8(reader.prefixed(maximum: Self.maximumPlatformLength))
        let sentAt = try reader.i64()
        try reader.finish()
        self.init(uid: uid, epoch: Int(epoch), platform: platform, sentAt: sentAt)
        try validate()
    }

    private static func utf8(_ bytes: [UInt8]) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CryptoError.invalidInput("header text is not UTF-8") }
        return text
    }

    /// Equal when the canonical encodings are equal, which is stricter than `String`'s Unicode equivalence.
    public static func == (a: EnvelopeHeader, b: EnvelopeHeader) -> Bool { a.canonicalEncoding == b.canonicalEncoding }

    private enum CodingKeys: String, CodingKey { case uid, epoch, platform, sentAt = "sent_at" }

    /// Decodes `{"uid", "epoch", "platform", "sent_at"}` and validates it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(uid: try c.decode(String.self, forKey: .uid), epoch: try c.decode(Int.self, forKey: .epoch),
                  platform: try c.decode(String.self, forKey: .platform), sentAt: try c.decode(Int64.self, forKey: .sentAt))
        try validate()
    }
}

/// One encrypted message as stored and shipped: header, R, nonce, ciphertext and its hash.
public struct Envelope: Sendable, Equatable, Codable {
    /// The authenticated header.
    public let header: EnvelopeHeader
    /// R = r·G.
    public let ephemeralPublic: Ristretto255.Point
    /// The random 24-byte XChaCha20-Poly1305 nonce.
    public let nonce: [UInt8]
    /// XChaCha20-Poly1305 output, tag included.
    public let ciphertext: [UInt8]
    /// BLAKE2b-256 of `ciphertext`, which the audit chain and disposal tombstones keep.
    public let ciphertextHash: [UInt8]

    /// Checks the structure without any key: a valid header, R not the identity, lengths, and the hash.
    public init(header: EnvelopeHeader, ephemeralPublic: Ristretto255.Point, nonce: [UInt8],
                ciphertext: [UInt8], ciphertextHash: [UInt8]) throws {
        try header.validate()
        guard !ephemeralPublic.isIdentity else { throw CryptoError.invalidInput("R is the identity element") }
        guard nonce.count == XChaCha20Poly1305.nonceLength else { throw CryptoError.invalidInput("nonce must be 24 bytes") }
        guard ciphertext.count >= XChaCha20Poly1305.tagLength else { throw CryptoError.invalidInput("ciphertext is shorter than its tag") }
        guard ciphertextHash.count == 32, Sodium.constantTimeEqual(BLAKE2b.hash(ciphertext), ciphertextHash) else {
            throw CryptoError.invalidInput("ciphertext hash does not match the ciphertext")
        }
        self.header = header
        self.ephemeralPublic = ephemeralPublic
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.ciphertextHash = ciphertextHash
    }

    /// Encrypts on the capture client to the archive key named by `header.epoch`; needs no secret key.
    public static func seal(_ plaintext: [UInt8], header: EnvelopeHeader, publicKey: ArchivePublicKey) throws -> Envelope {
        try header.validate()
        guard header.epoch == publicKey.epoch else { throw CryptoError.invalidInput("header epoch is not the public key's epoch") }
        var r = Ristretto255.Scalar.random()
        defer { r.wipe() }
        let ephemeral = try Ristretto255.Point.baseMultiple(r)
        var z = try publicKey.point.multiplied(by: r)
        defer { z.wipe() }
        var key = messageKey(z: z, ephemeralPublic: ephemeral, publicKey: publicKey.point, uid: header.uid)
        defer { Sodium.wipe(&key) }
        let nonce = Sodium.randomBytes(XChaCha20Poly1305.nonceLength)
        let ciphertext = try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, additionalData: header.canonicalEncoding)
        return try Envelope(header: header, ephemeralPublic: ephemeral, nonce: nonce,
                            ciphertext: ciphertext, ciphertextHash: BLAKE2b.hash(ciphertext))
    }

    /// Decrypts with the combined point Z = Σ λ_i·D_i; any change to any field throws `authenticationFailed`.
    public func open(combinedKey z: Ristretto255.Point, publicKey: ArchivePublicKey) throws -> [UInt8] {
        guard header.epoch == publicKey.epoch else { throw CryptoError.invalidInput("envelope epoch is not the key's epoch") }
        var key = Envelope.messageKey(z: z, ephemeralPublic: ephemeralPublic, publicKey: publicKey.point, uid: header.uid)
        defer { Sodium.wipe(&key) }
        return try XChaCha20Poly1305.open(ciphertext, key: key, nonce: nonce, additionalData: header.canonicalEncoding)
    }

    /// Verifies and combines k partials for this envelope's R, then decrypts. `sealedTo` is the key of the epoch the
    /// envelope names when the shares are held under a later epoch that redistributed the same key (default: the
    /// commitments' own epoch).
    public func open(partials: [PartialDecryption], commitments: FeldmanCommitments, sealedTo: ArchivePublicKey? = nil,
                     publicShares: [Int: Ristretto255.Point]? = nil) throws -> [UInt8] {
        let key = try Envelope.sealingKey(header: header, commitments: commitments, sealedTo: sealedTo)
        var z = try ThresholdDecryption.combine(partials, ephemeralPublic: ephemeralPublic, commitments: commitments,
                                                publicShares: publicShares)
        defer { z.wipe() }
        return try open(combinedKey: z, publicKey: key)
    }

    /// The key the envelope was sealed to, which must be the key the commitments share out.
    static func sealingKey(header: EnvelopeHeader, commitments: FeldmanCommitments, sealedTo: ArchivePublicKey?) throws -> ArchivePublicKey {
        let key = sealedTo ?? commitments.publicKey
        guard header.epoch == key.epoch else { throw CryptoError.invalidInput("envelope epoch is not the key's epoch") }
        guard key.point == commitments.publicKey.point else { throw CryptoError.invalidInput("the commitments share out another key") }
        return key
    }

    /// The 32-byte message key K of the envelope with this header and R, from k verified partials: what
    /// a live grant keeps per message, so each view decrypts without combining again. K opens that one
    /// envelope and nothing else.
    public static func messageKey(header: EnvelopeHeader, ephemeralPublic: Ristretto255.Point, partials: [PartialDecryption],
                                  commitments: FeldmanCommitments, sealedTo: ArchivePublicKey? = nil,
                                  publicShares: [Int: Ristretto255.Point]? = nil, preverified: Set<Int> = []) throws -> [UInt8] {
        _ = try sealingKey(header: header, commitments: commitments, sealedTo: sealedTo)
        var z = try ThresholdDecryption.combine(partials, ephemeralPublic: ephemeralPublic, commitments: commitments,
                                                publicShares: publicShares, preverified: preverified)
        defer { z.wipe() }
        return messageKey(z: z, ephemeralPublic: ephemeralPublic, publicKey: commitments.publicKey.point, uid: header.uid)
    }

    /// Decrypts with a message key from `messageKey(header:ephemeralPublic:partials:commitments:)`; a wrong key or any changed
    /// field throws `authenticationFailed`.
    public func open(messageKey key: [UInt8]) throws -> [UInt8] {
        guard key.count == XChaCha20Poly1305.keyLength else { throw CryptoError.invalidInput("a message key is 32 bytes") }
        return try XChaCha20Poly1305.open(ciphertext, key: key, nonce: nonce, additionalData: header.canonicalEncoding)
    }

    /// K = BLAKE2b-256(key = Z, msg = "custos/v1" ‖ R ‖ P ‖ uid).
    static func messageKey(z: Ristretto255.Point, ephemeralPublic: Ristretto255.Point, publicKey: Ristretto255.Point,
                           uid: String) -> [UInt8] {
        // R and P are fixed-length and uid comes last, so the message is unambiguous.
        let message = Array("custos/v1".utf8) + ephemeralPublic.bytes + publicKey.bytes + Array(uid.utf8)
        return BLAKE2b.hash(message, key: z.bytes, outputLength: 32)
    }

    /// Binary form: version 1 ‖ u32 len ‖ header encoding ‖ R ‖ nonce ‖ u32 len ‖ ciphertext ‖ hash.
    public var serialized: [UInt8] {
        var writer = ThresholdWire.Writer(version: 1, capacity: ciphertext.count + 160)
        writer.prefixed(header.canonicalEncoding)
        writer.fixed(ephemeralPublic.bytes)
        writer.fixed(nonce)
        writer.prefixed(ciphertext)
        writer.fixed(ciphertextHash)
        return writer.take()
    }

    /// Parses the binary form with all of the structural checks; ciphertexts over `maximumLength` are refused.
    public init(serialized: [UInt8], maximumLength: Int = 64 << 20) throws {
        var reader = try ThresholdWire.Reader(serialized, version: 1, what: "envelope")
        let header = try EnvelopeHeader(canonicalEncoding: reader.prefixed(maximum: 2 * EnvelopeHeader.maximumUIDLength))
        let r = try Ristretto255.Point(bytes: reader.fixed(32))
        let nonce = try reader.fixed(XChaCha20Poly1305.nonceLength)
        let ciphertext = try reader.prefixed(maximum: maximumLength)
        let hash = try reader.fixed(32)
        try reader.finish()
        try self.init(header: header, ephemeralPublic: r, nonce: nonce, ciphertext: ciphertext, ciphertextHash: hash)
    }

    private enum CodingKeys: String, CodingKey {
        case header, ephemeralPublic = "ephemeral_public", nonce, ciphertext, ciphertextHash = "ciphertext_hash"
    }

    /// Decodes `{"header", "ephemeral_public", "nonce", "ciphertext", "ciphertext_hash"}` (base64) with the same checks.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(header: c.decode(EnvelopeHeader.self, forKey: .header),
                      ephemeralPublic: c.decode(Ristretto255.Point.self, forKey: .ephemeralPublic),
                      nonce: c.decodeBase64(forKey: .nonce), ciphertext: c.decodeBase64(forKey: .ciphertext),
                      ciphertextHash: c.decodeBase64(forKey: .ciphertextHash))
    }

    /// Encodes the JSON object form.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(header, forKey: .header)
        try c.encode(ephemeralPublic, forKey: .ephemeralPublic)
        try c.encodeBase64(nonce, forKey: .nonce)
        try c.encodeBase64(ciphertext, forKey: .ciphertext)
        try c.encodeBase64(ciphertextHash, forKey: .ciphertextHash)
    }
}
