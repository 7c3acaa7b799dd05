/// A share (one scalar) sealed to a custodian device's ristretto255 encryption key Y, in a form whose
/// opening the recipient can prove to anyone — so a complaint about a bad share carries its proof.
///
///   e random, E = e·G, S = e·Y (= y·E),
///   K = BLAKE2b-256(key = S, msg = "custos/v1/share-box" ‖ E ‖ Y),
///   box = E ‖ XChaCha20-Poly1305(K, random nonce, share, AD = context).
///
/// To complain, the recipient reveals S with a DLEQ proof that log_G(Y) == log_E(S); anyone can then
/// derive K, open this one box and check the share against the dealer's commitments. Nothing else
/// the recipient holds is revealed.
public struct ShareBox: Sendable, Equatable, Hashable {
    /// E ‖ nonce ‖ ciphertext ‖ tag.
    public let bytes: [UInt8]

    /// Bytes in a box: E (32), nonce (24), share (32), tag (16).
    public static let length = Ristretto255.encodedLength + XChaCha20Poly1305.nonceLength + 32 + XChaCha20Poly1305.tagLength
    static let proofLabel = "custos/v1/share-box-opening"

    /// Checks the length and that E is a valid, non-identity point.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.length else { throw CryptoError.invalidInput("a share box is \(Self.length) bytes") }
        let e = try Ristretto255.Point(bytes: Array(bytes.prefix(32)))
        guard !e.isIdentity else { throw CryptoError.invalidInput("a share box's ephemeral key is the identity element") }
        self.bytes = bytes
    }

    /// E.
    public var ephemeral: Ristretto255.Point {
        // Checked in init.
        (try? Ristretto255.Point(bytes: Array(bytes.prefix(32)))) ?? .identity
    }

    /// BLAKE2b-256 of the box, which transcripts record in its place.
    public var digest: [UInt8] { BLAKE2b.hash(Array("custos/v1/share-box".utf8) + bytes) }

    /// Seals `share` to `recipient` under `context` (the ceremony, dealer and recipient it belongs to).
    static func seal(_ share: Ristretto255.Scalar, to recipient: Ristretto255.Point, context: [UInt8]) throws -> ShareBox {
        var e = Ristretto255.Scalar.random()
        defer { e.wipe() }
        let ephemeral = try Ristretto255.Point.baseMultiple(e)
        var shared = try recipient.multiplied(by: e)
        defer { shared.wipe() }
        var key = boxKey(shared: shared, ephemeral: ephemeral, recipient: recipient)
        defer { Sodium.wipe(&key) }
        return try ShareBox(bytes: ephemeral.bytes + XChaCha20Poly1305.sealCombined(share.bytes, key: key, additionalData: context))
    }

    /// Opens with the recipient's secret y; throws `authenticationFailed` if the box is not for y or was altered.
    func open(with y: Ristretto255.Scalar, recipient: Ristretto255.Point, context: [UInt8]) throws -> Ristretto255.Scalar {
        var shared = try ephemeral.multiplied(by: y)
        defer { shared.wipe() }
        return try open(shared: shared, recipient: recipient, context: context)
    }

    /// The recipient's proof of what this box opens to: S = y·E with a DLEQ proof against Y.
    func reveal(with y: Ristretto255.Scalar, recipientIndex: Int, recipient: Ristretto255.Point) throws -> ShareBoxOpening {
        let shared = try ephemeral.multiplied(by: y)
        let proof = try DLEQProof.prove(secret: y, index: recipientIndex, publicPoint: recipient, base: ephemeral, result: shared,
                                        label: Self.proofLabel)
        return ShareBoxOpening(sharedPoint: shared, proof: proof)
    }

    /// What anyone learns from a recipient's opening: nil if the opening's proof fails (the complainer lied),
    /// `.undecryptable` if the box does not open under it, or the share it holds.
    public func open(revealed opening: ShareBoxOpening, recipientIndex: Int, recipient: Ristretto255.Point,
                     context: [UInt8]) -> RevealedShare? {
        guard opening.proof.verify(index: recipientIndex, publicShare: recipient, ephemeralPublic: ephemeral,
                                   partial: opening.sharedPoint, label: Self.proofLabel) else { return nil }
        guard let share = try? open(shared: opening.sharedPoint, recipient: recipient, context: context) else { return .undecryptable }
        return .share(share)
    }

    private func open(shared: Ristretto255.Point, recipient: Ristretto255.Point, context: [UInt8]) throws -> Ristretto255.Scalar {
        var key = Self.boxKey(shared: shared, ephemeral: ephemeral, recipient: recipient)
        defer { Sodium.wipe(&key) }
        var plain = try XChaCha20Poly1305.openCombined(Array(bytes.dropFirst(32)), key: key, additionalData: context)
        defer { Sodium.wipe(&plain) }
        return try Ristretto255.Scalar(canonicalBytes: plain)
    }

    private static func boxKey(shared: Ristretto255.Point, ephemeral: Ristretto255.Point, recipient: Ristretto255.Point) -> [UInt8] {
        BLAKE2b.hash(Array("custos/v1/share-box".utf8) + ephemeral.bytes + recipient.bytes, key: shared.bytes)
    }
}

/// A recipient's proven opening of one share box: S = y·E and the DLEQ proof of it.
public struct ShareBoxOpening: Sendable, Equatable, Codable {
    /// S.
    public let sharedPoint: Ristretto255.Point
    /// log_G(Y) == log_E(S).
    public let proof: DLEQProof

    public init(sharedPoint: Ristretto255.Point, proof: DLEQProof) {
        self.sharedPoint = sharedPoint
        self.proof = proof
    }

    private enum CodingKeys: String, CodingKey { case sharedPoint = "shared_point", proof }
}

/// What a proven opening shows a box held.
public enum RevealedShare: Sendable, Equatable {
    /// The box does not open: the dealer sent garbage.
    case undecryptable
    /// The share inside, to check against the dealer's commitments.
    case share(Ristretto255.Scalar)
}
