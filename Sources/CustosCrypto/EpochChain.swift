/// One custodian device's Ed25519 signature over a transcript hash.
public struct EpochSignature: Sendable, Equatable, Codable {
    /// V of the signing device.
    public let signer: [UInt8]
    public let signature: [UInt8]

    public init(signer: [UInt8], signature: [UInt8]) {
        self.signer = signer
        self.signature = signature
    }

    /// Whether this is `signer`'s valid signature over the transcript with this hash.
    public func verifies(hash: [UInt8]) -> Bool {
        Ed25519.verify(signature: signature, message: EpochTranscript.signedMessage(hash: hash), publicKey: signer)
    }

    private enum CodingKeys: String, CodingKey { case signer, signature }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        signer = try c.decodeBase64(forKey: .signer)
        signature = try c.decodeBase64(forKey: .signature)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeBase64(signer, forKey: .signer)
        try c.encodeBase64(signature, forKey: .signature)
    }
}

/// A transcript with the signatures that make it an epoch: all of its own participants', and k of the
/// epoch before's (for every epoch but the first).
public struct SignedEpoch: Sendable, Equatable, Codable {
    public let transcript: EpochTranscript
    public let signatures: [EpochSignature]

    public init(transcript: EpochTranscript, signatures: [EpochSignature]) {
        self.transcript = transcript
        self.signatures = signatures
    }

    private enum CodingKeys: String, CodingKey { case transcript, signatures }

    /// `{"transcript": base64, "signatures": [{"signer", "signature"}]}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        transcript = try EpochTranscript(serialized: c.decodeBase64(forKey: .transcript))
        signatures = try c.decode([EpochSignature].self, forKey: .signatures)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeBase64(transcript.serialized, forKey: .transcript)
        try c.encode(signatures, forKey: .signatures)
    }

    /// The devices among `devices` that signed this transcript validly.
    func validSigners(among devices: [DeviceIdentity]) -> Set<[UInt8]> {
        let hash = transcript.hash
        let wanted = Set(devices.map(\.signingKey))
        return Set(signatures.filter { wanted.contains($0.signer) && $0.verifies(hash: hash) }.map(\.signer))
    }
}

/// Why a chain of epochs was refused; each names the epoch and what failed.
public struct EpochChainError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Checks a chain of epochs from a pinned trust root, as capture clients do before sealing anything
/// (TUF's root rotation is the model: each version is signed by a threshold of the version before).
public enum EpochChain {
    /// The trust root: the first epoch's transcript hash, as 64 hex digits.
    public static func root(of first: EpochTranscript) -> String { Hex.encode(first.hash) }

    /// Parses a trust root given as 64 hex digits (spaces and dashes allowed).
    public static func parseRoot(_ text: String) throws -> [UInt8] {
        let digits = Array(text.lowercased().utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "-") })
        guard digits.count == 64 else { throw EpochChainError("the trust root must be 64 hexadecimal digits") }
        func value(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: throw EpochChainError("the trust root must be 64 hexadecimal digits")
            }
        }
        return try stride(from: 0, to: 64, by: 2).map { try value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }

    /// Verifies `chain` (oldest first) from `root` and returns the newest epoch's key and transcript hash.
    /// Every epoch must be signed by all of its participants; every epoch after the first by at least k
    /// participants of the epoch before (its own threshold) and follow it by hash.
    public static func verify(root: [UInt8], chain: [SignedEpoch]) throws -> (key: ArchivePublicKey, hash: [UInt8]) {
        guard let first = chain.first else { throw EpochChainError("the server sent no epochs") }
        guard Sodium.constantTimeEqual(first.transcript.hash, root) else {
            throw EpochChainError("epoch \(first.transcript.setup.epoch)'s transcript hash is not the trust root")
        }
        var previous: SignedEpoch?
        for link in chain {
            try verifyLink(link, after: previous)
            previous = link
        }
        let last = chain[chain.count - 1].transcript
        return (last.publicKey, last.hash)
    }

    /// One step of `verify`: `link`'s transcript verifies after `previous`'s, all of its own participants
    /// signed it, and (after the first) k participants of `previous` did too. The server's epoch registry
    /// walks its rows with this, so each transcript is checked once.
    public static func verifyLink(_ link: SignedEpoch, after previous: SignedEpoch?) throws {
        let t = link.transcript
        let epoch = t.setup.epoch
        do {
            try t.verify(previous: previous?.transcript)
        } catch let e as CryptoError {
            throw EpochChainError("epoch \(epoch)'s transcript does not verify: \(e)")
        }
        let own = link.validSigners(among: t.setup.participants)
        if let missing = t.setup.participants.first(where: { !own.contains($0.signingKey) }) {
            throw EpochChainError("epoch \(epoch) lacks a valid signature of its custodian \(missing.fingerprint)")
        }
        if let previous {
            let before = previous.transcript.setup
            let endorsed = link.validSigners(among: before.participants).count
            guard endorsed >= before.threshold else {
                throw EpochChainError("epoch \(epoch) is signed by \(endorsed) custodians of epoch \(before.epoch); \(before.threshold) are needed")
            }
        }
    }
}
