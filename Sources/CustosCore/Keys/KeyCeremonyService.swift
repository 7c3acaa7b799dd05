import CustosCrypto

/// Custodian passphrases and key ceremonies. A ceremony splits a fresh archive secret into shares
/// sealed to custodians and keeps only the public key and commitments; the secret is wiped inside
/// `ThresholdKey.ceremony` and never reaches this layer (P2).
public struct KeyCeremonyService: Sendable {
    let archive: Archive
    let hasher: PasswordHasher
    let work: BlockingWork

    public init(archive: Archive, hasher: PasswordHasher, work: BlockingWork) {
        self.archive = archive
        self.hasher = hasher
        self.work = work
    }

    /// Shortest custodian passphrase accepted.
    public static let minimumPassphraseLength = 16

    /// Sets (first time) or changes the custodian passphrase that wraps this custodian's X25519 key.
    /// Changing keeps the same key pair, so shares already sealed to it stay usable.
    public func setPassphrase(user: User, passphrase: String, confirm: String, current: String?, actor: Actor) async throws {
        guard user.roles.contains(.custodian) else { throw DomainError.forbidden("Only key custodians hold a custodian key.") }
        guard passphrase == confirm else { throw DomainError.invalidInput("The passphrase and its confirmation differ.") }
        guard passphrase.count >= Self.minimumPassphraseLength, passphrase.count <= 512 else {
            throw DomainError.invalidInput("Choose a custodian passphrase of at least \(Self.minimumPassphraseLength) characters.")
        }
        let hasher = self.hasher
        let loginHash = user.passwordHash
        if try await work.run({ hasher.verify(passphrase, encoded: loginHash) }) {
            throw DomainError.invalidInput("The custodian passphrase must differ from your sign-in password.")
        }
        let existing = try archive.read { try $0.keys.custodianKey(userID: user.id) }
        let wrapped: WrappedCustodianKey
        if let existing {
            guard let current, !current.isEmpty else { throw DomainError.invalidInput("Enter your current custodian passphrase.") }
            let old = try WrappedCustodianKey(serialized: existing)
            do {
                wrapped = try await work.run { try CustodianKey.changePassphrase(old, from: current, to: passphrase) }
            } catch CryptoError.authenticationFailed {
                throw DomainError.authenticationFailed("The current custodian passphrase is not correct.")
            }
        } else {
            wrapped = try await work.run { try CustodianKey.create(passphrase: passphrase) }
        }
        let now = archive.clock.now()
        _ = try archive.transaction { tx in
            try tx.uow.keys.setCustodianKey(userID: user.id, publicKey: wrapped.publicKey, wrapped: wrapped.serialized, at: now)
            try tx.record(actor.draft(.custodianKeySet, target: "user:\(user.username)",
                                      details: ["change": existing == nil ? "created" : "passphrase changed"]))
        }
    }

    /// A custodian who can receive a share.
    public struct Candidate: Sendable {
        public var user: User
        public var hasKey: Bool
    }

    /// Every custodian, and whether they have set a passphrase yet.
    public func candidates() throws -> [Candidate] {
        try archive.read { uow in
            try uow.users.all().filter { $0.roles.contains(.custodian) && !$0.disabled }.map {
                Candidate(user: $0, hasKey: try uow.keys.custodianKey(userID: $0.id) != nil)
            }
        }
    }

    /// Runs a key ceremony: a new epoch with threshold `k` over the named custodians.
    public func startEpoch(custodianIDs: [Int64], threshold k: Int, actor: Actor) throws -> KeyEpochRecord {
        let ids = Array(Set(custodianIDs)).sorted()
        guard ids.count >= 2 else { throw DomainError.invalidInput("Choose at least two custodians.") }
        guard k >= 2, k <= ids.count else {
            throw DomainError.invalidInput("The threshold must be at least 2 and at most the number of custodians (\(ids.count)).")
        }
        return try archive.transaction { tx in
            var publicKeys: [[UInt8]] = []
            var names: [String] = []
            for id in ids {
                guard let user = try tx.uow.users.find(id: id), user.roles.contains(.custodian), !user.disabled else {
                    throw DomainError.invalidInput("Every chosen person must be an active key custodian.")
                }
                guard let wrapped = try tx.uow.keys.custodianKey(userID: id) else {
                    throw DomainError.invalidInput("\(user.username) has not set a custodian passphrase yet.")
                }
                publicKeys.append(try WrappedCustodianKey(serialized: wrapped).publicKey)
                names.append(user.username)
            }
            let epoch = (try tx.uow.keys.currentEpoch()?.epoch ?? 0) + 1
            let ceremony = try ThresholdKey.ceremony(epoch: epoch, threshold: k, custodianPublicKeys: publicKeys)
            let record = KeyEpochRecord(epoch: epoch, threshold: k, shareCount: ids.count,
                                        publicKey: ceremony.publicKey.serialized, commitments: ceremony.commitments.serialized,
                                        createdAt: archive.clock.now(), createdBy: actor.username)
            try tx.uow.keys.insertEpoch(record)
            for (custodianID, share) in zip(ids, ceremony.sealedShares) {
                try tx.uow.keys.insertShare(epoch: epoch, index: share.index, custodianID: custodianID, sealed: share.serialized)
            }
            try tx.record(actor.draft(.keyEpochStarted, target: "epoch:\(epoch)",
                                      details: ["threshold": "\(k)", "custodians": names.joined(separator: ","),
                                                "public_key": Hex.encode(ceremony.publicKey.point.bytes)]))
            return record
        }
    }

    /// The key capture clients encrypt to now.
    public func currentKey() throws -> (record: KeyEpochRecord, key: ArchivePublicKey)? {
        guard let record = try archive.read({ try $0.keys.currentEpoch() }) else { return nil }
        return (record, try ArchivePublicKey(serialized: record.publicKey))
    }

    /// Every epoch, newest first.
    public func epochs() throws -> [KeyEpochRecord] {
        try archive.read { try $0.keys.epochs() }
    }
}
