// Threshold archive key over ristretto255 (libsodium). The equations, as in DESIGN.md "Cryptography":
//
//   Archive key (per epoch): secret scalar s in ristretto255, public key P = s·G.
//   Shamir sharing over the scalar field (mod ℓ), threshold k, n shares:
//       f(x) = a_0 + a_1·x + … + a_{k-1}·x^{k-1} with a_0 = s, a_1 … a_{k-1} random;
//       shares s_i = f(i) at x = 1..n.
//   Feldman commitments C_j = a_j·G (so P = C_0); share check: s_i·G == Σ_j C_j·i^j = P_i.
//   Each s_i is sealed to its custodian's X25519 public key with crypto_box_seal,
//   and s and the polynomial are wiped.
//   Envelope: ephemeral r, R = r·G, Z = r·P,
//       K = BLAKE2b-256(key = Z, msg = "custos/v1" ‖ R ‖ P ‖ uid).
//   Threshold decryption: partial D_i = s_i·R; any k partials combine by Lagrange at 0:
//       Z = Σ λ_i·D_i, λ_i = Π_{j≠i} x_j / (x_j − x_i)   (mod ℓ).
//   s is never reconstructed, not even in memory.
//   Partial proof (Chaum–Pedersen DLEQ, Fiat–Shamir): random w, A = w·G, B = w·R,
//       c = BLAKE2b-512("custos/v1/dleq" ‖ u32 i ‖ P_i ‖ R ‖ D_i ‖ A ‖ B) mod ℓ, z = w + c·s_i;
//       verify: c == H(… ‖ z·G − c·P_i ‖ z·R − c·D_i), which shows log_G(P_i) == log_R(D_i).
//
// This file and CustodianKey.swift are the only places a share value is touched. No function
// interpolates shares; only partials (points) are combined, in PartialDecryption.swift.

/// The key ceremony: splits a fresh archive secret into sealed shares and forgets it.
public enum ThresholdKey {
    /// Upper bound on n, which keeps indices small and ceremonies sane.
    public static let maximumShares = 255

    /// Throws unless 2 ≤ k ≤ n ≤ `maximumShares`.
    public static func validate(threshold k: Int, shareCount n: Int) throws {
        guard k >= 2 else { throw CryptoError.invalidInput("threshold k must be at least 2") }
        guard k <= n else { throw CryptoError.invalidInput("threshold k must not exceed the number of shares n") }
        guard n <= maximumShares else { throw CryptoError.invalidInput("at most \(maximumShares) shares are supported") }
    }

    /// Runs an epoch's ceremony; custodian `j` in the list receives the share at x = j + 1.
    public static func ceremony(epoch: Int, threshold k: Int, custodianPublicKeys: [[UInt8]]) throws -> KeyCeremony {
        guard epoch >= 0 else { throw CryptoError.invalidInput("epoch must not be negative") }
        try validate(threshold: k, shareCount: custodianPublicKeys.count)
        guard custodianPublicKeys.allSatisfy({ $0.count == X25519KeyPair.publicKeyLength }) else {
            throw CryptoError.invalidKey("an X25519 public key is 32 bytes")
        }
        // Two shares sealed to one person would let fewer than k people decrypt.
        guard Set(custodianPublicKeys).count == custodianPublicKeys.count else {
            throw CryptoError.invalidInput("each custodian must appear once")
        }
        let (commitments, shares) = try generate(epoch: epoch, threshold: k, shareCount: custodianPublicKeys.count)
        defer { shares.forEach { $0.wipe() } }
        let sealed = try zip(shares, custodianPublicKeys).map { share, key in try share.sealed(to: key, epoch: epoch) }
        return KeyCeremony(commitments: commitments, sealedShares: sealed)
    }

    /// Makes s, the polynomial, the commitments and the n shares; wipes s and the coefficients.
    /// Internal: outside this module shares exist only sealed (tests reach it with @testable).
    static func generate(epoch: Int, threshold k: Int, shareCount n: Int) throws -> (FeldmanCommitments, [KeyShare]) {
        try validate(threshold: k, shareCount: n)
        // coefficients[0] is s itself; libsodium's random scalars are uniform and non-zero.
        var coefficients = (0..<k).map { _ in Ristretto255.Scalar.random() }
        defer { for j in coefficients.indices { coefficients[j].wipe() } }
        let points = try coefficients.map { try Ristretto255.Point.baseMultiple($0) }
        let commitments = try FeldmanCommitments(epoch: epoch, shareCount: n, points: points)
        let shares = (1...n).map { KeyShare(index: $0, secret: evaluate(coefficients, at: $0)) }
        return (commitments, shares)
    }

    /// f(x) by Horner's rule, wiping each secret intermediate.
    private static func evaluate(_ coefficients: [Ristretto255.Scalar], at index: Int) -> Ristretto255.Scalar {
        let x = Ristretto255.Scalar(UInt64(index))
        var acc = Ristretto255.Scalar.zero
        for j in stride(from: coefficients.count - 1, through: 0, by: -1) {
            var product = acc * x
            acc.wipe()
            acc = product + coefficients[j]
            product.wipe()
        }
        return acc
    }
}

/// What a key ceremony leaves behind: public commitments and sealed shares, never s.
public struct KeyCeremony: Sendable, Equatable {
    /// C_0 … C_{k-1}, stored with the epoch.
    public let commitments: FeldmanCommitments
    /// One sealed share per custodian, in the order the custodians were given.
    public let sealedShares: [SealedShare]

    /// The epoch's public key P = C_0, which capture clients fetch.
    public var publicKey: ArchivePublicKey { commitments.publicKey }
}

/// One custodian's Shamir share s_i = f(i), alive only inside a ceremony or one approval.
///
/// A class so there is one copy of the secret to wipe; it is wiped by `wipe()` and on release.
final class KeyShare {
    /// x = i.
    let index: Int
    private var secret: Ristretto255.Scalar
    private var wiped = false

    fileprivate init(index: Int, secret: Ristretto255.Scalar) {
        self.index = index
        self.secret = secret
    }

    deinit { secret.wipe() }

    /// Zeroes the share now; the object is unusable afterwards.
    func wipe() {
        secret.wipe()
        wiped = true
    }

    /// Feldman check: s_i·G == Σ_j C_j·i^j.
    func matches(_ commitments: FeldmanCommitments) -> Bool {
        guard !wiped,
              let expected = try? commitments.publicShare(for: index),
              let actual = try? Ristretto255.Point.baseMultiple(secret) else { return false }
        return actual == expected
    }

    /// D_i = s_i·R for each R, each with a DLEQ proof against P_i from the commitments.
    func partialDecryptions(of ephemeralKeys: [Ristretto255.Point], commitments: FeldmanCommitments) throws -> [PartialDecryption] {
        let publicShare = try commitments.publicShare(for: index)
        return try ephemeralKeys.map { try partialDecryption(of: $0, publicShare: publicShare) }
    }

    /// D_i = s_i·R and a Chaum–Pedersen proof that log_G(P_i) == log_R(D_i).
    func partialDecryption(of r: Ristretto255.Point, publicShare: Ristretto255.Point) throws -> PartialDecryption {
        guard !wiped else { throw CryptoError.invalidKey("the key share has been wiped") }
        guard !r.isIdentity else { throw CryptoError.invalidInput("R is the identity element") }
        let d = try r.multiplied(by: secret)
        var w = Ristretto255.Scalar.random()
        defer { w.wipe() }
        let a = try Ristretto255.Point.baseMultiple(w)
        let b = try r.multiplied(by: w)
        let c = DLEQProof.challenge(index: index, publicShare: publicShare, ephemeralPublic: r, partial: d, a: a, b: b)
        var cs = c * secret
        defer { cs.wipe() }
        return try PartialDecryption(index: index, point: d, proof: DLEQProof(challenge: c, response: w + cs))
    }

    /// Seals `version 1 ‖ i64 epoch ‖ u32 index ‖ s_i` to a custodian.
    func sealed(to custodianPublicKey: [UInt8], epoch: Int) throws -> SealedShare {
        guard !wiped else { throw CryptoError.invalidKey("the key share has been wiped") }
        var writer = ThresholdWire.Writer(version: 1, capacity: 45)
        writer.i64(Int64(epoch))
        writer.u32(index)
        writer.fixed(secret.bytes)
        var plaintext = writer.take()
        defer { Sodium.wipe(&plaintext) }
        let box = try SealedBox.seal(plaintext, to: custodianPublicKey)
        return try SealedShare(epoch: epoch, index: index, custodianPublicKey: custodianPublicKey, sealed: box)
    }

    /// Opens a sealed share with its custodian's key pair; the inner epoch and index must match the label.
    convenience init(opening sealedShare: SealedShare, with keyPair: X25519KeyPair) throws {
        guard Sodium.constantTimeEqual(sealedShare.custodianPublicKey, keyPair.publicKey) else {
            throw CryptoError.invalidKey("the share is sealed to a different custodian key")
        }
        var plaintext = try SealedBox.open(sealedShare.sealed, with: keyPair)
        defer { Sodium.wipe(&plaintext) }
        let (epoch, index, secret) = try KeyShare.parse(plaintext)
        guard epoch == sealedShare.epoch, index == sealedShare.index else {
            throw CryptoError.invalidInput("the sealed share's epoch or index does not match its label")
        }
        self.init(index: index, secret: secret)
    }

    /// Parses the sealed plaintext in its own scope, so no reader still holds it when it is wiped.
    private static func parse(_ plaintext: [UInt8]) throws -> (Int, Int, Ristretto255.Scalar) {
        var reader = try ThresholdWire.Reader(plaintext, version: 1, what: "key share")
        let epoch = try reader.i64()
        let index = try reader.u32()
        var raw = try reader.fixed(Ristretto255.encodedLength)
        defer { Sodium.wipe(&raw) }
        let secret = try Ristretto255.Scalar(canonicalBytes: raw)
        try reader.finish()
        guard index >= 1, index <= ThresholdKey.maximumShares else { throw CryptoError.invalidInput("share index out of range") }
        return (Int(epoch), index, secret)
    }
}
