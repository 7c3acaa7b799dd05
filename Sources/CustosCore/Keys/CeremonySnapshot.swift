import CustosCrypto

/// One ceremony read whole: its setup, who takes part as what, what each has sent, and its phase.
public struct CeremonySnapshot: Sendable {
    /// A participant: the device that will hold share `participant`.
    public struct Member: Sendable {
        public var participant: Int
        public var userID: Int64
        public var username: String
        public var identity: DeviceIdentity
    }

    /// A holder of the epoch before: it may deal (redistribution) and must be among the k who endorse.
    public struct Predecessor: Sendable {
        public var index: Int
        public var userID: Int64
        public var username: String
        public var identity: DeviceIdentity
    }

    public var record: CeremonyRecord
    public var setup: CeremonySetup
    public var members: [Member]
    public var previous: VerifiedEpoch?
    public var predecessors: [Predecessor]
    public var steps: [CeremonyStep]
    public var phase: CeremonyService.Phase
    /// Dealers expected to commit: every participant (new key) or k holders of the epoch before (redistribution).
    public var expectedDealers: Int

    static func load(_ c: CeremonyRecord, uow: any UnitOfWork, registry: EpochRegistry) throws -> CeremonySnapshot {
        let setup = try CeremonySetup(serialized: c.setup)
        var members: [Member] = []
        for m in try uow.ceremonies.members(ceremonyID: c.id) {
            let name = try uow.users.find(id: m.userID)?.username ?? "user \(m.userID)"
            members.append(Member(participant: m.participant, userID: m.userID, username: name, identity: setup.participants[m.participant - 1]))
        }
        var previous: VerifiedEpoch?
        var predecessors: [Predecessor] = []
        if let p = c.previousEpoch {
            previous = try registry.chain(uow).first { $0.epoch == p }
            guard let previous else { throw DomainError.conflict("Key epoch \(p), which this ceremony follows, does not verify.") }
            for h in try uow.keys.holders(epoch: p) {
                let name = try uow.users.find(id: h.userID)?.username ?? "user \(h.userID)"
                predecessors.append(Predecessor(index: h.index, userID: h.userID, username: name,
                                                identity: previous.transcript.setup.participants[h.index - 1]))
            }
        }
        let steps = try uow.ceremonies.steps(ceremonyID: c.id)
        let expected = setup.kind == .newKey ? setup.shareCount : (previous?.transcript.setup.threshold ?? 0)
        var snapshot = CeremonySnapshot(record: c, setup: setup, members: members, previous: previous, predecessors: predecessors,
                                        steps: steps, phase: .closed, expectedDealers: expected)
        snapshot.phase = snapshot.computePhase()
        return snapshot
    }

    func computePhase() -> CeremonyService.Phase {
        guard record.status == .open else { return .closed }
        let commits = steps(.commit).count
        if commits < expectedDealers { return .commit }
        if steps(.dealing).count < commits { return .reveal }
        if steps(.receipt).count < setup.shareCount { return .receive }
        return .sign
    }

    /// The steps of one kind.
    public func steps(_ kind: CeremonyStepKind) -> [CeremonyStep] { steps.filter { $0.kind == kind } }

    /// Whether `userID` has taken step `kind`.
    public func has(_ userID: Int64, _ kind: CeremonyStepKind) -> Bool { steps.contains { $0.userID == userID && $0.kind == kind } }

    /// The member entry of a person, if a participant.
    public func member(_ userID: Int64) -> Member? { members.first { $0.userID == userID } }

    /// The predecessor entry of a person, if it held a share of the epoch before.
    public func predecessor(_ userID: Int64) -> Predecessor? { predecessors.first { $0.userID == userID } }

    /// The dealer index a person deals under, if it may deal: its participant number (new key) or its
    /// share index in the epoch before (redistribution).
    public func dealerIndex(_ userID: Int64) -> Int? {
        setup.kind == .newKey ? member(userID)?.participant : predecessor(userID)?.index
    }

    /// The revealed dealings, parsed, sorted by dealer.
    public func dealings() throws -> [Dealing] {
        try steps(.dealing).compactMap(\.body).map { try Dealing(serialized: $0) }.sorted { $0.dealer < $1.dealer }
    }

    /// The transcript the revealed dealings make (once every dealing is in).
    public func transcript() throws -> EpochTranscript {
        try EpochTranscript(setup: setup, dealings: dealings(), previous: previous?.commitments)
    }

    /// The valid signatures received over `transcript`.
    public func signatures(over transcript: EpochTranscript) -> [EpochSignature] {
        let hash = transcript.hash
        return steps(.signature).compactMap { s in
            guard let signer = s.signer, let body = s.body else { return nil }
            let signature = EpochSignature(signer: signer, signature: body)
            return signature.verifies(hash: hash) ? signature : nil
        }
    }

    /// Who the ceremony waits for now, by username.
    public var waitingFor: [String] {
        switch phase {
        case .commit:
            let candidates = setup.kind == .newKey ? members.map { ($0.userID, $0.username) } : predecessors.map { ($0.userID, $0.username) }
            return candidates.filter { !has($0.0, .commit) }.map(\.1)
        case .reveal:
            return steps(.commit).filter { c in !has(c.userID, .dealing) }.map { c in name(c.userID) }
        case .receive:
            return members.filter { !has($0.userID, .receipt) }.map(\.username)
        case .sign:
            var names = members.filter { !has($0.userID, .signature) }.map(\.username)
            if let previous {
                let endorsed = predecessors.filter { has($0.userID, .signature) }.count
                if endorsed < previous.transcript.setup.threshold {
                    let candidates = predecessors.filter { !has($0.userID, .signature) }.map(\.username)
                    names.append("\(previous.transcript.setup.threshold - endorsed) of the epoch \(previous.epoch) custodians still to endorse "
                                 + "(\(candidates.joined(separator: ", ")))")
                }
            }
            return names
        case .closed:
            return []
        }
    }

    func name(_ userID: Int64) -> String {
        member(userID)?.username ?? predecessor(userID)?.username ?? "user \(userID)"
    }
}
