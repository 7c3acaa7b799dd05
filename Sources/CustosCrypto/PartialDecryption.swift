/// A Chaum–Pedersen proof that log_G(P_i) == log_R(D_i): the partial was made with the committed share.
public struct DLEQProof: Sendable, Equatable, Codable {
    /// c, the Fiat–Shamir challenge.
    public let challenge: Ristretto255.Scalar
    /// z = w + c·s_i.
    public let response: Ristretto255.Scalar

    /// Wraps a decoded proof; it proves nothing until `verify` says so.
    public init(challenge: Ristretto255.Scalar, response: Ristretto255.Scalar) {
        self.challenge = challenge
        self.response = response
    }

    /// Domain label of partial-decryption proofs.
    public static let partialLabel = "custos/v1/dleq"

    /// c = BLAKE2b-512(label ‖ u32 i ‖ P_i ‖ R ‖ D_i ‖ A ‖ B) reduced mod ℓ; `label` keeps proofs of one
    /// protocol from being replayed in another.
    static func challenge(
        index: Int, publicShare: Ristretto255.Point, ephemeralPublic: Ristretto255.Point,
        partial: Ristretto255.Point, a: Ristretto255.Point, b: Ristretto255.Point, label: String = partialLabel
    ) -> Ristretto255.Scalar {
        // Every point is 32 bytes and each label is a fixed string, so the concatenation is unambiguous.
        var input = Array(label.utf8)
        input += [UInt8(index >> 24 & 0xff), UInt8(index >> 16 & 0xff), UInt8(index >> 8 & 0xff), UInt8(index & 0xff)]
        for point in [publicShare, ephemeralPublic, partial, a, b] { input += point.bytes }
        return Ristretto255.Scalar.reduce64(BLAKE2b.hash(input, outputLength: 64))
    }

    /// Proves log_G(x·G) == log_R(x·R) for the secret x: random w, A = w·G, B = w·R, c = H(…), z = w + c·x.
    static func prove(secret x: Ristretto255.Scalar, index: Int, publicPoint: Ristretto255.Point, base r: Ristretto255.Point,
                      result d: Ristretto255.Point, label: String = partialLabel) throws -> DLEQProof {
        var w = Ristretto255.Scalar.random()
        defer { w.wipe() }
        let a = try Ristretto255.Point.baseMultiple(w)
        let b = try r.multiplied(by: w)
        let c = challenge(index: index, publicShare: publicPoint, ephemeralPublic: r, partial: d, a: a, b: b, label: label)
        var cx = c * x
        defer { cx.wipe() }
        return DLEQProof(challenge: c, response: w + cx)
    }

    /// Recomputes A' = z·G − c·P_i and B' = z·R − c·D_i and checks the challenge comes out as c.
    public func verify(
        index: Int, publicShare: Ristretto255.Point, ephemeralPublic: Ristretto255.Point, partial: Ristretto255.Point,
        label: String = partialLabel
    ) -> Bool {
        do {
            let a = try Ristretto255.Point.baseMultiple(response).subtracting(publicShare.multiplied(by: challenge))
            let b = try ephemeralPublic.multiplied(by: response).subtracting(partial.multiplied(by: challenge))
            let expected = DLEQProof.challenge(index: index, publicShare: publicShare, ephemeralPublic: ephemeralPublic,
                                               partial: partial, a: a, b: b, label: label)
            return expected == challenge
        } catch {
            // An identity anywhere (zero c or z, a degenerate point) is not a valid proof.
            return false
        }
    }
}

/// Custodian i's contribution to one envelope's key: D_i = s_i·R, with its DLEQ proof.
public struct PartialDecryption: Sendable, Equatable, Codable {
    /// i, the share index that made it.
    public let index: Int
    /// D_i.
    public let point: Ristretto255.Point
    /// The proof that D_i used the share committed to for index i.
    public let proof: DLEQProof

    /// Checks the index range and that D_i is not the identity.
    public init(index: Int, point: Ristretto255.Point, proof: DLEQProof) throws {
        guard index >= 1, index <= ThresholdKey.maximumShares else { throw CryptoError.invalidInput("share index out of range") }
        guard !point.isIdentity else { throw CryptoError.invalidInput("a partial decryption is the identity element") }
        self.index = index
        self.point = point
        self.proof = proof
    }

    /// Verifies the proof for this R against P_i derived from the epoch's commitments.
    public func verify(ephemeralPublic r: Ristretto255.Point, commitments: FeldmanCommitments) -> Bool {
        guard let publicShare = try? commitments.publicShare(for: index) else { return false }
        return verify(ephemeralPublic: r, publicShare: publicShare)
    }

    /// Verifies the proof for this R against an already computed P_i (cache it per custodian).
    public func verify(ephemeralPublic r: Ristretto255.Point, publicShare: Ristretto255.Point) -> Bool {
        proof.verify(index: index, publicShare: publicShare, ephemeralPublic: r, partial: point)
    }

    /// Binary form: version 1 ‖ u32 index ‖ D_i ‖ c ‖ z (101 bytes).
    public var serialized: [UInt8] {
        var writer = ThresholdWire.Writer(version: 1, capacity: 101)
        writer.u32(index)
        writer.fixed(point.bytes)
        writer.fixed(proof.challenge.bytes)
        writer.fixed(proof.response.bytes)
        return writer.take()
    }

    /// Parses the binary form, refusing invalid points and non-canonical scalars.
    public init(serialized: [UInt8]) throws {
        var reader = try ThresholdWire.Reader(serialized, version: 1, what: "partial decryption")
        let index = try reader.u32()
        let point = try Ristretto255.Point(bytes: reader.fixed(32))
        let c = try Ristretto255.Scalar(canonicalBytes: reader.fixed(32))
        let z = try Ristretto255.Scalar(canonicalBytes: reader.fixed(32))
        try reader.finish()
        try self.init(index: index, point: point, proof: DLEQProof(challenge: c, response: z))
    }

    private enum CodingKeys: String, CodingKey { case index, point = "partial", proof }

    /// Decodes `{"index", "partial": base64, "proof": {"challenge", "response"}}` with the same checks.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(index: c.decode(Int.self, forKey: .index), point: c.decode(Ristretto255.Point.self, forKey: .point),
                      proof: c.decode(DLEQProof.self, forKey: .proof))
    }
}

/// Combines partial decryptions into the envelope key point Z without ever forming s.
public enum ThresholdDecryption {
    /// Z = Σ λ_i·D_i over the first k partials, after checking indices and every used partial's proof.
    /// `publicShares` (from `commitments.publicShares()`) saves recomputing each P_i per message.
    /// `preverified` names share indices whose partials the caller already checked against these commitments
    /// (the server checks every partial when a custodian's device uploads it, then keeps it sealed under its
    /// own key); their proofs are not checked a second time. Every other partial's proof is.
    public static func combine(
        _ partials: [PartialDecryption], ephemeralPublic r: Ristretto255.Point, commitments: FeldmanCommitments,
        publicShares: [Int: Ristretto255.Point]? = nil, preverified: Set<Int> = []
    ) throws -> Ristretto255.Point {
        guard !r.isIdentity else { throw CryptoError.invalidInput("R is the identity element") }
        try checkDistinct(partials.map(\.index))
        for partial in partials { try commitments.checkIndex(partial.index) }
        guard partials.count >= commitments.threshold else {
            throw CryptoError.invalidInput("\(commitments.threshold) partial decryptions are needed, \(partials.count) given")
        }
        // Any k valid partials give the same Z, so only k are checked and used.
        let used = Array(partials.prefix(commitments.threshold))
        for partial in used where !preverified.contains(partial.index) {
            let publicShare = try publicShares?[partial.index] ?? commitments.publicShare(for: partial.index)
            guard partial.verify(ephemeralPublic: r, publicShare: publicShare) else {
                throw CryptoError.invalidInput("partial decryption \(partial.index) fails its proof")
            }
        }
        return try lagrangeCombine(used.map { ($0.index, $0.point) })
    }

    /// Lagrange interpolation at 0 in the exponent over points (D_i), with no threshold or proof check.
    /// Internal: it exists apart from `combine` so tests can show that k − 1 partials give a wrong Z.
    static func lagrangeCombine(_ partials: [(index: Int, point: Ristretto255.Point)]) throws -> Ristretto255.Point {
        guard !partials.isEmpty else { throw CryptoError.invalidInput("no partial decryptions given") }
        let lambdas = try lagrangeCoefficients(at: partials.map(\.index))
        var sum = Ristretto255.Point.identity
        for (partial, lambda) in zip(partials, lambdas) {
            sum = try sum.adding(partial.point.multiplied(by: lambda))
        }
        guard !sum.isIdentity else { throw CryptoError.invalidInput("the combined point is the identity element") }
        return sum
    }

    /// λ_i = Π_{j≠i} x_j / (x_j − x_i) mod ℓ for each i in `indices`.
    static func lagrangeCoefficients(at indices: [Int]) throws -> [Ristretto255.Scalar] {
        try checkDistinct(indices)
        let xs = indices.map { Ristretto255.Scalar(UInt64($0)) }
        return try xs.indices.map { i in
            var numerator = Ristretto255.Scalar.one
            var denominator = Ristretto255.Scalar.one
            for j in xs.indices where j != i {
                numerator = numerator * xs[j]
                denominator = denominator * (xs[j] - xs[i])
            }
            return try numerator * denominator.inverted()
        }
    }

    /// Throws unless every index is in 1...maximumShares and none repeats.
    static func checkDistinct(_ indices: [Int]) throws {
        guard indices.allSatisfy({ $0 >= 1 && $0 <= ThresholdKey.maximumShares }) else {
            throw CryptoError.invalidInput("share indices must be between 1 and \(ThresholdKey.maximumShares)")
        }
        guard Set(indices).count == indices.count else { throw CryptoError.invalidInput("share indices must be distinct") }
    }
}
