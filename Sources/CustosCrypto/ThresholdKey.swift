// Threshold archive key over ristretto255 (libsodium). The equations, as in DESIGN.md "Cryptography":
//
//   Archive key (per epoch): secret scalar s in ristretto255, public key P = s·G.
//   Shamir sharing over the scalar field (mod ℓ), threshold k, n shares:
//       f(x) = a_0 + a_1·x + … + a_{k-1}·x^{k-1} with a_0 = s, a_1 … a_{k-1} random;
//       shares s_i = f(i) at x = 1..n.
//   Feldman commitments C_j = a_j·G (so P = C_0); share check: s_i·G == Σ_j C_j·i^j = P_i.
//   Nobody deals these shares: the custodians' devices run a distributed key generation
//   (DistributedKeyGeneration.swift) in which s = Σ_i a_i0 exists nowhere.
//   Envelope: ephemeral r, R = r·G, Z = r·P,
//       K = BLAKE2b-256(key = Z, msg = "custos/v1" ‖ R ‖ P ‖ uid).
//   Threshold decryption: partial D_i = s_i·R; any k partials combine by Lagrange at 0:
//       Z = Σ λ_i·D_i, λ_i = Π_{j≠i} x_j / (x_j − x_i)   (mod ℓ).
//   s is never reconstructed, not even in memory.
//   Partial proof (Chaum–Pedersen DLEQ, Fiat–Shamir): random w, A = w·G, B = w·R,
//       c = BLAKE2b-512("custos/v1/dleq" ‖ u32 i ‖ P_i ‖ R ‖ D_i ‖ A ‖ B) mod ℓ, z = w + c·s_i;
//       verify: c == H(… ‖ z·G − c·P_i ‖ z·R − c·D_i), which shows log_G(P_i) == log_R(D_i).
//
// This file, DistributedKeyGeneration.swift and CustodianKeyFile.swift are the only places a share
// value is touched. No function interpolates shares to s; only partials (points) are combined, in
// PartialDecryption.swift (a redistribution combines sub-shares into a new share, never into s).

/// Limits and the raw polynomial arithmetic behind the threshold key.
///
/// Production shares come only from the distributed key generation (DistributedKeyGeneration.swift),
/// where no party ever holds s. `generate` is a dealer kept internal for the tests of the threshold
/// algebra (they reach it with @testable); ThresholdSourceTests keeps every other file from calling it.
public enum ThresholdKey {
    /// Upper bound on n, which keeps indices small and ceremonies sane.
    public static let maximumShares = 255

    /// Throws unless 1 ≤ k ≤ n ≤ `maximumShares`. (The archive's own policy asks k ≥ 2; the algebra allows 1-of-1.)
    public static func validate(threshold k: Int, shareCount n: Int) throws {
        guard k >= 1 else { throw CryptoError.invalidInput("threshold k must be at least 1") }
        guard k <= n else { throw CryptoError.invalidInput("threshold k must not exceed the number of shares n") }
        guard n <= maximumShares else { throw CryptoError.invalidInput("at most \(maximumShares) shares are supported") }
    }

    /// A test dealer: makes s, the polynomial, the commitments and the n shares; wipes s and the coefficients.
    static func generate(epoch: Int, threshold k: Int, shareCount n: Int) throws -> (FeldmanCommitments, [KeyShare]) {
        try validate(threshold: k, shareCount: n)
        let polynomial = SecretPolynomial(degree: k - 1, constant: nil)
        defer { polynomial.wipe() }
        let commitments = try FeldmanCommitments(epoch: epoch, shareCount: n, points: polynomial.commitments())
        let shares = (1...n).map { KeyShare(index: $0, secret: polynomial.evaluate(at: $0)) }
        return (commitments, shares)
    }
}

/// A random polynomial f over the scalars mod ℓ, of a given degree, kept in one place so it can be wiped.
///
/// A DKG dealer's contribution (f(0) random) or a redistribution dealer's (f(0) = its own share).
final class SecretPolynomial {
    private var coefficients: [Ristretto255.Scalar]

    /// f(0) = `constant` (copied) or a fresh random scalar; the other coefficients are random.
    init(degree: Int, constant: Ristretto255.Scalar?) {
        // libsodium's random scalars are uniform and non-zero.
        coefficients = (0...degree).map { _ in Ristretto255.Scalar.random() }
        if let constant { coefficients[0] = constant }
    }

    deinit { wipe() }

    /// Zeroes every coefficient.
    func wipe() { for j in coefficients.indices { coefficients[j].wipe() } }

    /// a_0, for proofs of knowledge; the caller wipes its copy.
    var constant: Ristretto255.Scalar { coefficients[0] }

    /// Feldman commitments a_j·G.
    func commitments() throws -> [Ristretto255.Point] {
        try coefficients.map { try Ristretto255.Point.baseMultiple($0) }
    }

    /// f(x) by Horner's rule, wiping each secret intermediate.
    func evaluate(at index: Int) -> Ristretto255.Scalar {
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

/// One custodian's Shamir share s_i = f(i), alive only inside a ceremony or one approval.
///
/// A class so there is one copy of the secret to wipe; it is wiped by `wipe()` and on release.
final class KeyShare {
    /// x = i.
    let index: Int
    private var secret: Ristretto255.Scalar
    private var wiped = false

    init(index: Int, secret: Ristretto255.Scalar) {
        self.index = index
        self.secret = secret
    }

    deinit { secret.wipe() }

    /// Zeroes the share now; the object is unusable afterwards.
    func wipe() {
        secret.wipe()
        wiped = true
    }

    /// Lends the share to `body` (to seal it into the custodian's key file) without another stored copy.
    func withSecret<R>(_ body: (Ristretto255.Scalar) throws -> R) throws -> R {
        guard !wiped else { throw CryptoError.invalidKey("the key share has been wiped") }
        return try body(secret)
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
        let proof = try DLEQProof.prove(secret: secret, index: index, publicPoint: publicShare, base: r, result: d)
        return try PartialDecryption(index: index, point: d, proof: proof)
    }
}
