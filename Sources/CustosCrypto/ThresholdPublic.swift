/// The public key capture clients encrypt to: `P = s·G` for one epoch.
public struct ArchivePublicKey: Sendable, Equatable, Codable {
    /// The key epoch envelopes name.
    public let epoch: Int
    /// P, never the identity.
    public let point: Ristretto255.Point

    /// Checks the epoch is non-negative and P is not the identity (which would make every message key public).
    public init(epoch: Int, point: Ristretto255.Point) throws {
        guard epoch >= 0 else { throw CryptoError.invalidInput("epoch must not be negative") }
        guard !point.isIdentity else { throw CryptoError.invalidKey("the archive public key is the identity element") }
        self.epoch = epoch
        self.point = point
    }

    /// For values already checked elsewhere (the commitments' own validation).
    fileprivate init(checkedEpoch epoch: Int, point: Ristretto255.Point) {
        self.epoch = epoch
        self.point = point
    }

    /// Binary form: version 1 ‖ i64 epoch ‖ P (41 bytes).
    public var serialized: [UInt8] {
        var writer = ThresholdWire.Writer(version: 1)
        writer.i64(Int64(epoch))
        writer.fixed(point.bytes)
        return writer.bytes
    }

    /// Parses the binary form.
    public init(serialized: [UInt8]) throws {
        var reader = try ThresholdWire.Reader(serialized, version: 1, what: "archive public key")
        let epoch = try reader.i64()
        let point = try Ristretto255.Point(bytes: reader.fixed(32))
        try reader.finish()
        try self.init(epoch: Int(epoch), point: point)
    }

    private enum CodingKeys: String, CodingKey { case epoch, point = "public_key" }

    /// Decodes `{"epoch": n, "public_key": base64}` with the same checks as `init(epoch:point:)`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(epoch: c.decode(Int.self, forKey: .epoch), point: c.decode(Ristretto255.Point.self, forKey: .point))
    }
}

/// Feldman commitments `C_j = a_j·G` to an epoch's sharing polynomial; C_0 is the public key.
public struct FeldmanCommitments: Sendable, Equatable, Codable {
    /// The key epoch.
    public let epoch: Int
    /// n: shares exist at x = 1...n.
    public let shareCount: Int
    /// C_0 ... C_{k-1}.
    public let points: [Ristretto255.Point]

    /// k, the number of partials needed to decrypt.
    public var threshold: Int { points.count }

    /// Checks 1 ≤ k ≤ n ≤ `ThresholdKey.maximumShares` and that no commitment is the identity.
    public init(epoch: Int, shareCount: Int, points: [Ristretto255.Point]) throws {
        try ThresholdKey.validate(threshold: points.count, shareCount: shareCount)
        guard epoch >= 0 else { throw CryptoError.invalidInput("epoch must not be negative") }
        guard !points.contains(where: \.isIdentity) else { throw CryptoError.invalidKey("a commitment is the identity element") }
        self.epoch = epoch
        self.shareCount = shareCount
        self.points = points
    }

    /// The archive public key P = C_0 for this epoch.
    public var publicKey: ArchivePublicKey { ArchivePublicKey(checkedEpoch: epoch, point: points[0]) }

    /// P_i = Σ_j C_j·i^j = s_i·G, the publishable public share of custodian i.
    public func publicShare(for index: Int) throws -> Ristretto255.Point {
        try checkIndex(index)
        // Horner's rule in the exponent: P_i = C_0 + i·(C_1 + i·(C_2 + …)).
        let x = Ristretto255.Scalar(UInt64(index))
        var acc = points[points.count - 1]
        for j in stride(from: points.count - 2, through: 0, by: -1) {
            acc = try acc.multiplied(by: x).adding(points[j])
        }
        return acc
    }

    /// P_1 … P_n, computed once per request so that many partials can be verified without recomputing them.
    public func publicShares() throws -> [Int: Ristretto255.Point] {
        var shares: [Int: Ristretto255.Point] = [:]
        for index in 1...shareCount { shares[index] = try publicShare(for: index) }
        return shares
    }

    /// Throws unless 1 ≤ index ≤ n.
    public func checkIndex(_ index: Int) throws {
        guard index >= 1, index <= shareCount else {
            throw CryptoError.invalidInput("share index must be between 1 and \(shareCount)")
        }
    }

    /// Binary form: version 1 ‖ i64 epoch ‖ u32 n ‖ u32 k ‖ C_0 … C_{k-1}.
    public var serialized: [UInt8] {
        var writer = ThresholdWire.Writer(version: 1)
        writer.i64(Int64(epoch))
        writer.u32(shareCount)
        writer.u32(points.count)
        for point in points { writer.fixed(point.bytes) }
        return writer.bytes
    }

    /// Parses the binary form with all of `init(epoch:shareCount:points:)`'s checks.
    public init(serialized: [UInt8]) throws {
        var reader = try ThresholdWire.Reader(serialized, version: 1, what: "commitments")
        let epoch = try reader.i64()
        let n = try reader.u32()
        let k = try reader.u32()
        try ThresholdKey.validate(threshold: k, shareCount: n)
        let points = try (0..<k).map { _ in try Ristretto255.Point(bytes: reader.fixed(32)) }
        try reader.finish()
        try self.init(epoch: Int(epoch), shareCount: n, points: points)
    }

    private enum CodingKeys: String, CodingKey { case epoch, shareCount = "share_count", points = "commitments" }

    /// Decodes `{"epoch", "share_count", "commitments": [base64]}` with the same checks.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(epoch: c.decode(Int.self, forKey: .epoch),
                      shareCount: c.decode(Int.self, forKey: .shareCount),
                      points: c.decode([Ristretto255.Point].self, forKey: .points))
    }
}
