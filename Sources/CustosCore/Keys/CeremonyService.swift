import CustosCrypto

/// Key ceremonies without a dealer (issue 17, P2, P3). An administrator only proposes: who takes part
/// and k. The custodians' devices do the rest through the API: commit to their dealings, reveal them,
/// check their share boxes (complaining with proof about a bad one), and sign the transcript. The
/// server relays and checks every step; it never holds a share, and the epoch comes into force only
/// when every participant and k custodians of the epoch before have signed the same transcript.
public struct CeremonyService: Sendable {
    let archive: Archive
    let registry: EpochRegistry

    public init(archive: Archive, registry: EpochRegistry) {
        self.archive = archive
        self.registry = registry
    }

    /// The stage an open ceremony is at, from what has been sent so far.
    public enum Phase: String, Sendable {
        case commit, reveal, receive, sign, closed

        /// What it waits for, in plain words.
        public var title: String {
            switch self {
            case .commit: "Dealers commit to their contributions"
            case .reveal: "Dealers reveal their contributions"
            case .receive: "Custodians check the shares they received"
            case .sign: "Custodians sign the transcript"
            case .closed: "Closed"
            }
        }
    }

    // MARK: Proposing

    /// An administrator proposes a ceremony: a new key (`.newKey`) or the current key handed to a new set
    /// of custodians (`.redistribution`). Nothing else happens until the custodians' devices act.
    public func propose(kind: CeremonySetup.Kind, custodianIDs: [Int64], threshold k: Int, actor: Actor) throws -> CeremonyRecord {
        guard actor.role == .admin || actor.userID == nil else { throw DomainError.forbidden("Only an administrator proposes key ceremonies.") }
        let ids = Array(Set(custodianIDs)).sorted()
        guard ids.count >= 2 else { throw DomainError.invalidInput("Choose at least two custodians.") }
        guard k >= 2, k <= ids.count else {
            throw DomainError.invalidInput("The threshold must be at least 2 and at most the number of custodians (\(ids.count)).")
        }
        let now = archive.clock.now()
        return try archive.transaction { tx in
            if let open = try tx.uow.ceremonies.open() {
                throw DomainError.conflict("Ceremony \(open.id) is still in progress; it must finish or be cancelled first.")
            }
            var people: [(User, DeviceRecord)] = []
            for id in ids {
                guard let user = try tx.uow.users.find(id: id), user.roles.contains(.custodian), !user.disabled else {
                    throw DomainError.invalidInput("Every chosen person must be an active key custodian.")
                }
                guard let device = try tx.uow.devices.active(userID: id) else {
                    throw DomainError.invalidInput("\(user.username) has not enrolled a custodian device yet (custos custodian enrol).")
                }
                people.append((user, device))
            }
            let chain = try registry.chain(tx.uow)
            let previous = chain.last
            if kind == .redistribution, previous == nil {
                throw DomainError.invalidInput("There is no key to redistribute yet: propose a new key first.")
            }
            let epoch = (try tx.uow.keys.currentEpoch()?.epoch ?? 0) + 1
            let setup: CeremonySetup
            do {
                setup = try CeremonySetup(kind: kind, epoch: epoch, threshold: k, participants: people.map(\.1.identity),
                                          previousHash: previous?.transcript.hash ?? CeremonySetup.noPrevious)
            } catch {
                throw DomainError.invalidInput("These custodians cannot form a ceremony: \(error)")
            }
            let members = people.enumerated().map { (participant: $0.offset + 1, userID: $0.element.0.id) }
            let id = try tx.uow.ceremonies.create(NewCeremony(kind: kind, epoch: epoch, previousEpoch: previous?.epoch, setup: setup.serialized,
                                                              members: members, createdAt: now, createdBy: actor.username))
            try tx.record(actor.draft(.keyCeremonyProposed, target: "ceremony:\(id)", details: [
                "kind": kind.name, "epoch": "\(epoch)", "threshold": "\(k)",
                "custodians": people.map { "\($0.0.username)=\($0.1.identity.fingerprint)" }.joined(separator: ","),
                "previous_epoch": previous.map { "\($0.epoch)" } ?? "none",
            ]))
            guard let record = try tx.uow.ceremonies.find(id: id) else { throw DomainError.conflict("The ceremony was not stored.") }
            return record
        }
    }

    /// An administrator cancels an open ceremony; the share boxes it collected are deleted.
    public func cancel(id: Int64, actor: Actor) throws {
        guard actor.role == .admin || actor.userID == nil else { throw DomainError.forbidden("Only an administrator cancels key ceremonies.") }
        try archive.transaction { tx in
            guard let c = try tx.uow.ceremonies.find(id: id), c.status == .open else {
                throw DomainError.conflict("Only a ceremony in progress can be cancelled.")
            }
            try close(c, status: .cancelled, outcome: "cancelled by \(actor.username)", tx: tx)
            try tx.record(actor.draft(.keyCeremonyCancelled, target: "ceremony:\(id)", details: ["epoch": "\(c.epoch)"]))
        }
        try archive.store.forgetDeleted()
    }

    func close(_ c: CeremonyRecord, status: CeremonyStatus, outcome: String, tx: Archive.Transaction) throws {
        try tx.uow.ceremonies.close(id: c.id, status: status, at: archive.clock.now(), outcome: outcome)
        _ = try tx.uow.ceremonies.deleteDealings(ceremonyID: c.id)
    }

    // MARK: Reading

    /// Everything known about one ceremony, as its participants and the administrator see it.
    public func snapshot(id: Int64) throws -> CeremonySnapshot {
        try archive.read { uow in
            guard let c = try uow.ceremonies.find(id: id) else { throw DomainError.notFound("There is no ceremony with that number.") }
            return try CeremonySnapshot.load(c, uow: uow, registry: registry)
        }
    }

    /// The open ceremony, if any.
    public func openSnapshot() throws -> CeremonySnapshot? {
        try archive.read { uow in
            try uow.ceremonies.open().map { try CeremonySnapshot.load($0, uow: uow, registry: registry) }
        }
    }

    /// The newest ceremonies, newest first.
    public func recent(limit: Int = 20) throws -> [CeremonyRecord] {
        try archive.read { try $0.ceremonies.recent(limit: limit) }
    }

    /// The chain of epochs in force, oldest first, every one verified against its transcript.
    public func chain() throws -> [VerifiedEpoch] {
        try archive.read { try registry.chain($0) }
    }

    /// The verified epochs up to the first that does not verify, and what is wrong with it.
    public func verifiedPrefix() throws -> (chain: [VerifiedEpoch], problem: EpochIntegrityError?) {
        try archive.read { try registry.verifiedPrefix($0) }
    }
}
