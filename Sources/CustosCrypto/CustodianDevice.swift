/// A custodian's unlocked device key, alive for one command on the custodian's own machine: the
/// encryption secret y, the Ed25519 signing key and the custodian's shares by epoch. It signs what
/// the custodian sends, takes part in ceremonies and computes partial decryptions; nothing in it
/// ever leaves the device. A class so there is one copy of each secret to wipe; not `Sendable`.
public final class CustodianDevice {
    public let identity: DeviceIdentity
    private var secret: Ristretto255.Scalar
    private var signing: Ed25519.KeyPair
    private var shares: [Int: KeyShare]

    /// Throws only on a seed that is not 32 bytes or a zero secret, which no caller produces.
    init(secret: Ristretto255.Scalar, seed: [UInt8], shares: [Int: KeyShare]) throws {
        self.secret = secret
        signing = try Ed25519.keyPair(seed: seed)
        self.shares = shares
        identity = try DeviceIdentity(encryptionKey: Ristretto255.Point.baseMultiple(secret), signingKey: signing.publicKey)
    }

    /// A new device: fresh random y and signing seed, no shares yet.
    static func generate() throws -> CustodianDevice {
        try CustodianDevice(secret: .random(), seed: Sodium.randomBytes(Ed25519.seedLength), shares: [:])
    }

    /// Parses `version 1 ‖ y ‖ seed ‖ u32 count ‖ count × (i64 epoch ‖ u32 index ‖ s)`.
    convenience init(plaintext: [UInt8]) throws {
        var r = try ThresholdWire.Reader(plaintext, version: 1, what: "custodian key")
        let y = try Ristretto255.Scalar(canonicalBytes: r.fixed(32))
        guard !y.isZero else { throw CryptoError.invalidKey("the device secret is zero") }
        var seed = try r.fixed(Ed25519.seedLength)
        defer { Sodium.wipe(&seed) }
        let count = try r.u32()
        guard count <= 4096 else { throw CryptoError.invalidInput("too many shares in the key file") }
        var shares: [Int: KeyShare] = [:]
        for _ in 0..<count {
            let epoch = Int(try r.i64())
            let index = try r.u32()
            shares[epoch] = KeyShare(index: index, secret: try Ristretto255.Scalar(canonicalBytes: r.fixed(32)))
        }
        try r.finish()
        try self.init(secret: y, seed: seed, shares: shares)
    }

    deinit { wipe() }

    /// Zeroes every secret now; the device is unusable afterwards.
    public func wipe() {
        secret.wipe()
        shares.values.forEach { $0.wipe() }
        shares = [:]
    }

    /// Seals the current state into a key file under `passphrase` (fresh salt).
    public func sealed(passphrase: String, parameters: Argon2id.Parameters = .custodian) throws -> CustodianKeyFile {
        let salt = Sodium.randomBytes(16)
        var key = try CustodianKeyFile.wrappingKey(passphrase: passphrase, salt: salt, parameters: parameters)
        defer { Sodium.wipe(&key) }
        var plain = try plaintext()
        defer { Sodium.wipe(&plain) }
        let draft = try CustodianKeyFile(identity: identity, salt: salt, parameters: parameters, sealed: [])
        let sealed = try XChaCha20Poly1305.sealCombined(plain, key: key, additionalData: draft.associatedData)
        return try CustodianKeyFile(identity: identity, salt: salt, parameters: parameters, sealed: sealed)
    }

    /// The secret state as the key file seals it: `version 1 ‖ y ‖ seed ‖ u32 count ‖ count × (i64 epoch ‖ u32 index ‖ s)`.
    func plaintext() throws -> [UInt8] {
        var w = ThresholdWire.Writer(version: 1, capacity: 72 + 44 * shares.count)
        w.fixed(secret.bytes)
        w.fixed(signing.seed)
        w.u32(shares.count)
        for (epoch, share) in shares.sorted(by: { $0.key < $1.key }) {
            w.i64(Int64(epoch))
            w.u32(share.index)
            try share.withSecret { w.fixed($0.bytes) }
        }
        return w.take()
    }

    /// An Ed25519 signature by this device.
    public func sign(_ message: [UInt8]) throws -> [UInt8] { try Ed25519.sign(message, secretKey: signing.secretKey) }

    /// The headers that sign one API request (see `DeviceRequestSignature`).
    public func requestHeaders(method: String, path: String, body: [UInt8], time: Int64) throws -> [(String, String)] {
        try DeviceRequestSignature.headers(method: method, path: path, body: body, time: time,
                                           signingSecretKey: signing.secretKey, signingKey: signing.publicKey)
    }

    /// Proof, for enrolment with `code`, that this device holds its keys.
    public func enrolmentProof(code: String) throws -> [UInt8] { try sign(DeviceEnrolment.message(code: code, identity: identity)) }

    /// This device's endorsement of a transcript.
    public func endorse(_ transcript: EpochTranscript) throws -> EpochSignature {
        EpochSignature(signer: identity.signingKey, signature: try sign(EpochTranscript.signedMessage(hash: transcript.hash)))
    }

    // MARK: ceremonies

    /// This device's dealer for a ceremony: a fresh polynomial for a new key, or a polynomial whose constant
    /// term is its share of `previousEpoch` for a redistribution (`dealer` is then its index in that epoch).
    public func dealer(for setup: CeremonySetup, previousEpoch: Int?) throws -> DKGDealer {
        switch setup.kind {
        case .newKey:
            guard let j = setup.index(of: identity) else { throw CryptoError.invalidInput("this device does not take part in the ceremony") }
            return try DKGDealer(setup: setup, dealer: j)
        case .redistribution:
            guard let previousEpoch, let share = shares[previousEpoch] else {
                throw CryptoError.invalidInput("this device holds no share of the epoch being redistributed")
            }
            return try share.withSecret { DKGDealer(setup: setup, dealer: share.index, constant: $0) }
        }
    }

    /// Opens and checks this device's boxes in the ceremony's (checked) dealings. With every box good it keeps
    /// the new share for `setup.epoch` (call `sealed` to save it) and returns no complaint; otherwise it keeps
    /// nothing and returns a proven complaint per bad dealer.
    public func receive(_ dealings: [Dealing], setup: CeremonySetup) throws -> [Complaint] {
        guard let j = setup.index(of: identity) else { throw CryptoError.invalidInput("this device does not take part in the ceremony") }
        switch try DistributedKeyGeneration.receive(dealings, setup: setup, participant: j, secret: secret) {
        case .complaints(let complaints):
            return complaints
        case .share(let share):
            shares[setup.epoch]?.wipe()
            shares[setup.epoch] = share
            return []
        }
    }

    /// Whether this device holds a share of `epoch`, and its index.
    public func shareIndex(epoch: Int) -> Int? { shares[epoch]?.index }

    /// Checks the share of `epoch` against the epoch's commitments (e.g. once its transcript is final).
    public func shareMatches(epoch: Int, commitments: FeldmanCommitments) -> Bool {
        shares[epoch]?.matches(commitments) ?? false
    }

    /// Forgets the share of `epoch` (a redistribution retired it, or its ceremony failed).
    public func forgetShare(epoch: Int) {
        shares[epoch]?.wipe()
        shares[epoch] = nil
    }

    /// Epochs this device holds shares of.
    public var epochs: [Int] { shares.keys.sorted() }

    // MARK: approvals

    /// D_i = s_i·R with a DLEQ proof for each R, under this device's share of `commitments.epoch`, which must
    /// match the commitments (so a server cannot make it compute under another epoch's key).
    public func partialDecryptions(commitments: FeldmanCommitments, ephemeralKeys: [Ristretto255.Point]) throws -> [PartialDecryption] {
        guard let share = shares[commitments.epoch] else { throw CryptoError.invalidInput("this device holds no share of epoch \(commitments.epoch)") }
        guard share.matches(commitments) else { throw CryptoError.invalidKey("the share of epoch \(commitments.epoch) does not match the epoch's commitments") }
        return try share.partialDecryptions(of: ephemeralKeys, commitments: commitments)
    }

    /// Complaints are proven with this: S = y·E for one box, with its DLEQ proof (tests make false ones with it).
    func reveal(_ box: ShareBox, index: Int) throws -> ShareBoxOpening {
        try box.reveal(with: secret, recipientIndex: index, recipient: identity.encryptionKey)
    }
}
