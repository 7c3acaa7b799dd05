import CustosCrypto
import Foundation

/// Dual-approval decryption (P2, P3): requests, custodian decisions, time-boxed grants and their
/// end. Approving and reading content live in `DecryptionService+Approval` and `+Content`.
///
/// Separation of duties, checked here and by schema triggers: the requester never decides on its own
/// request, a custodian decides once per request, and a custodian who also holds the role the
/// request was filed in cannot decide on it.
public struct DecryptionService: Sendable {
    let archive: Archive
    let registry: EpochRegistry
    let indexer: MetadataIndexer
    let keys: ServerKeys
    let vault: GrantVault
    let work: BlockingWork
    public let policy: DecryptionPolicy
    let throttle: Throttle
    /// Content-search indexes of live grants, dropped here the moment a grant ends.
    public let textIndexes: GrantTextIndexes

    public init(archive: Archive, registry: EpochRegistry, indexer: MetadataIndexer, keys: ServerKeys, work: BlockingWork,
                policy: DecryptionPolicy = DecryptionPolicy(), throttle: ThrottlePolicy = ThrottlePolicy(),
                textIndexes: GrantTextIndexes = GrantTextIndexes()) throws {
        self.archive = archive
        self.registry = registry
        self.indexer = indexer
        self.keys = keys
        self.vault = try GrantVault(keys: keys)
        self.work = work
        self.policy = policy
        self.throttle = Throttle(policy: throttle, keys: keys)
        self.textIndexes = textIndexes
    }

    // MARK: Filing

    /// Files a request for `messageIDs`, for matter `matterID` if given (its review is coded under that matter's
    /// layout); returns its id. Only an auditor, in the auditor role, files.
    public func file(messageIDs rawIDs: [Int64], justification rawJustification: String, reference rawReference: String,
                     hours: Int, matterID: Int64? = nil, user: User, actor: Actor) throws -> Int64 {
        guard actor.role == .auditor, user.roles.contains(.auditor) else {
            throw DomainError.forbidden("Only an auditor files decryption requests.")
        }
        let ids = Array(Set(rawIDs)).sorted()
        guard !ids.isEmpty else { throw DomainError.invalidInput("Choose at least one message.") }
        guard ids.count <= policy.maximumMessages else {
            throw DomainError.invalidInput("A request can name at most \(policy.maximumMessages) messages; this one names \(ids.count). Narrow the selection.")
        }
        let justification = rawJustification.trimmingCharacters(in: .whitespacesAndNewlines)
        let reference = rawReference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (20...4_000).contains(justification.count) else {
            throw DomainError.invalidInput("Explain why you need to read these messages (20 to 4,000 characters).")
        }
        guard (1...200).contains(reference.count) else {
            throw DomainError.invalidInput("Give the matter or case reference (1 to 200 characters).")
        }
        guard (1...policy.maximumHours).contains(hours) else {
            throw DomainError.invalidInput("Ask for 1 to \(policy.maximumHours) hours of access.")
        }
        let now = archive.clock.now()
        return try archive.transaction { tx in
            if let matterID {
                guard let matter = try tx.uow.holds.matter(id: matterID) else {
                    throw DomainError.invalidInput("There is no matter number \(matterID).")
                }
                guard matter.status == .open else { throw DomainError.invalidInput("Matter \(matterID) is closed.") }
            }
            var thresholds: [Int: Int] = [:]
            let chain = try registry.chain(tx.uow)
            for id in ids {
                guard let m = try tx.uow.search.message(id: id) else { throw DomainError.invalidInput("There is no message number \(id).") }
                if let at = m.disposedAt {
                    throw DomainError.invalidInput("Message \(id) was disposed of under its retention policy on \(ISO8601.day(at)); "
                        + "nothing is left to decrypt. Leave it out of the request.")
                }
                if thresholds[m.epoch] == nil {
                    guard let holding = EpochRegistry.holding(m.epoch, in: chain) else {
                        throw DomainError.conflict("Message \(id) was sealed to key epoch \(m.epoch), which no verified epoch holds.")
                    }
                    thresholds[m.epoch] = holding.transcript.setup.threshold
                }
            }
            let threshold = thresholds.values.max() ?? 2
            let draft = NewDecryptionRequest(
                requesterID: user.id, filedRole: Role.auditor.rawValue,
                justification: try indexer.seal(justification, purpose: "request-justification"),
                reference: try indexer.seal(reference, purpose: "request-reference"),
                hours: hours, threshold: threshold, messageCount: ids.count, createdAt: now,
                approveBy: now + Int64(policy.approvalWindowHours) * 3_600)
            let id = try tx.uow.decryption.create(draft, messageIDs: ids)
            var details = ["messages": "\(ids.count)", "hours": "\(hours)", "threshold": "\(threshold)",
                           "epochs": thresholds.keys.sorted().map(String.init).joined(separator: ",")]
            if let matterID {
                try tx.uow.review.setMatter(requestID: id, matterID: matterID)
                details["matter"] = "matter:\(matterID)"
            }
            try tx.record(actor.draft(.requestFiled, target: "request:\(id)", details: details))
            return id
        }
    }

    // MARK: Reading requests

    /// A request as a person allowed to see it sees it: metadata only, never content.
    public struct RequestDetail: Sendable {
        public var record: DecryptionRequestRecord
        public var justification: String
        public var reference: String
        public var closeReason: String?
        public var decisions: [RequestDecision]
        public var approvals: Int
        public var messageIDs: [Int64]
        public var firstSentAt: Int64?
        public var lastSentAt: Int64?
        public var platforms: [(name: String, count: Int)]
        public var participants: [(display: String, count: Int)]
        public var participantTotal: Int
        /// Whether the grant is live now.
        public var live: Bool
        /// Why this viewer may not approve, or nil if it may.
        public var approvalBlocker: String?
        /// The matter the request was filed for, if any.
        public var matterID: Int64?
    }

    /// One request's detail. The requester, custodians and security may look; nobody else.
    public func detail(id: Int64, user: User, role: Role?) throws -> RequestDetail {
        try expireDue()
        let now = archive.clock.now()
        let found = try archive.read { uow -> RequestDetail? in
            guard let r = try uow.decryption.find(id: id) else { return nil }
            try Self.checkCanSee(r, user: user, role: role)
            let ids = try uow.decryption.messageIDs(requestID: id)
            var platforms: [String: Int] = [:]
            var first: Int64?
            var last: Int64?
            for mid in ids {
                guard let m = try uow.search.message(id: mid) else { continue }
                platforms[m.platform, default: 0] += 1
                first = min(first ?? m.sentAt, m.sentAt)
                last = max(last ?? m.sentAt, m.sentAt)
            }
            var messagesOf: [String: Set<Int64>] = [:]
            // Security works with message numbers only: it is never shown who took part.
            for p in role == .security ? [] : try uow.search.participants(of: ids) {
                messagesOf[(try? indexer.open(p.display, purpose: "participant")) ?? "(unreadable)", default: []].insert(p.messageID)
            }
            let people = messagesOf.mapValues(\.count)
            let decisions = try uow.decryption.decisions(requestID: id)
            let detail = RequestDetail(
                record: r,
                justification: (try? indexer.open(r.justification, purpose: "request-justification")) ?? "(unreadable)",
                reference: (try? indexer.open(r.reference, purpose: "request-reference")) ?? "(unreadable)",
                closeReason: r.closeReason.map { (try? indexer.open($0, purpose: "request-reason")) ?? "(unreadable)" },
                decisions: decisions, approvals: decisions.filter(\.approved).count, messageIDs: ids,
                firstSentAt: first, lastSentAt: last,
                platforms: platforms.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { (name: $0.key, count: $0.value) },
                participants: people.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(40).map { (display: $0.key, count: $0.value) },
                participantTotal: people.count,
                live: r.status == .granted && (r.expiresAt ?? 0) > now,
                approvalBlocker: try approvalBlocker(r, decisions: decisions, user: user, role: role, now: now, uow: uow),
                matterID: try uow.review.matter(requestID: id))
            return detail
        }
        guard let found else { throw DomainError.notFound("There is no request with that number.") }
        return found
    }

    /// A request's page as `actor` sees it, audited (for every role) before it is shown; security sees no participant.
    public func view(id: Int64, user: User, actor: Actor) throws -> RequestDetail {
        let d = try detail(id: id, user: user, role: actor.role)
        try archive.record(actor.draft(.requestViewed, target: "request:\(id)",
                                       details: ["messages": "\(d.messageIDs.count)", "participants_shown": "\(d.participants.count)"]))
        return d
    }

    /// The requests a person works with: an auditor its own, custodians and security all of them.
    public func list(user: User, role: Role?) throws -> [DecryptionRequestRecord] {
        try expireDue()
        return try archive.read { uow in
            switch role {
            case .auditor?: return try uow.decryption.list(requesterID: user.id, statuses: nil, limit: 200)
            case .custodian?, .security?: return try uow.decryption.list(requesterID: nil, statuses: nil, limit: 200)
            default: throw DomainError.forbidden("Decryption requests are for auditors, key custodians and security.")
            }
        }
    }

    /// Requests waiting for custodians, as a custodian's device lists them, each with why this custodian may not
    /// decide on it (if so).
    public func pending(user: User, actor: Actor) throws -> [PendingRequestWire] {
        try expireDue()
        let now = archive.clock.now()
        return try archive.read { uow in
            try uow.decryption.list(requesterID: nil, statuses: [.pending], limit: 200).map { r in
                let decisions = try uow.decryption.decisions(requestID: r.id)
                return PendingRequestWire(
                    id: r.id, requester: r.requesterName,
                    reference: (try? indexer.open(r.reference, purpose: "request-reference")) ?? "(unreadable)",
                    messages: r.messageCount, hours: r.hours, approvals: decisions.filter(\.approved).count, needed: r.threshold,
                    approveBy: r.approveBy, blocker: try approvalBlocker(r, decisions: decisions, user: user, role: actor.role, now: now, uow: uow))
            }
        }
    }

    static func checkCanSee(_ r: DecryptionRequestRecord, user: User, role: Role?) throws {
        switch role {
        case .custodian?, .security?: return
        case .auditor? where r.requesterID == user.id: return
        default: throw DomainError.notFound("There is no request with that number.")
        }
    }

    /// Nil when `user`, acting as `role`, may approve or reject `r` now; else the reason in plain words.
    func approvalBlocker(_ r: DecryptionRequestRecord, decisions: [RequestDecision], user: User, role: Role?, now: Int64,
                         uow: any UnitOfWork) throws -> String? {
        guard role == .custodian, user.roles.contains(.custodian) else { return "Only a key custodian decides on requests." }
        guard r.status == .pending, r.approveBy > now else { return "The request is no longer waiting for approvals." }
        guard r.requesterID != user.id else { return "You filed this request, so you cannot decide on it." }
        if let filed = Role(rawValue: r.filedRole), user.roles.contains(filed) {
            return "You also hold the \(filed.title) role this request was filed in, so you cannot decide on it."
        }
        guard !decisions.contains(where: { $0.custodianID == user.id }) else { return "You have already decided on this request." }
        let chain = try registry.chain(uow)
        let epochs = Set(try uow.decryption.envelopeKeys(requestID: r.id).map(\.epoch))
        for epoch in epochs.sorted() {
            guard let holding = EpochRegistry.holding(epoch, in: chain) else {
                return "Key epoch \(epoch), which some of these messages were sealed to, does not verify; nobody can approve them."
            }
            guard try uow.keys.holders(epoch: holding.epoch).contains(where: { $0.userID == user.id }) else {
                return "You hold no share of key epoch \(holding.epoch), which holds the key some of these messages were sealed to."
            }
        }
        return nil
    }

    // MARK: Rejecting, revoking, expiring

    /// A custodian rejects a pending request, with a reason; one rejection closes it.
    public func reject(id: Int64, reason rawReason: String, user: User, actor: Actor) throws {
        let reason = rawReason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (5...2_000).contains(reason.count) else { throw DomainError.invalidInput("Give a reason for rejecting (5 to 2,000 characters).") }
        try expireDue()
        let now = archive.clock.now()
        try archive.transaction { tx in
            guard let r = try tx.uow.decryption.find(id: id) else { throw DomainError.notFound("There is no request with that number.") }
            let decisions = try tx.uow.decryption.decisions(requestID: id)
            if let blocker = try approvalBlocker(r, decisions: decisions, user: user, role: actor.role, now: now, uow: tx.uow) {
                throw DomainError.forbidden(blocker)
            }
            try tx.uow.decryption.addDecision(requestID: id, custodianID: user.id, approved: false, at: now)
            try tx.uow.decryption.close(requestID: id, status: .rejected, at: now, by: user.username,
                                        reason: try indexer.seal(reason, purpose: "request-reason"))
            let removed = try tx.uow.decryption.deletePartials(requestID: id)
            try tx.record(actor.draft(.requestRejected, target: "request:\(id)", details: ["partials_deleted": "\(removed)"]))
        }
        try archive.store.forgetDeleted()
    }

    /// Ends a live grant now: any custodian or security may. Its message keys are deleted.
    public func revoke(id: Int64, reason rawReason: String, actor: Actor) throws {
        guard actor.role == .custodian || actor.role == .security else {
            throw DomainError.forbidden("Only a key custodian or security can revoke a grant.")
        }
        let reason = rawReason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count <= 2_000 else { throw DomainError.invalidInput("Keep the reason under 2,000 characters.") }
        try expireDue()
        let now = archive.clock.now()
        try archive.transaction { tx in
            guard let r = try tx.uow.decryption.find(id: id) else { throw DomainError.notFound("There is no request with that number.") }
            guard r.status == .granted else { throw DomainError.conflict("Only a live grant can be revoked; this request is \(r.status.title.lowercased()).") }
            try tx.uow.decryption.close(requestID: id, status: .revoked, at: now, by: actor.username,
                                        reason: reason.isEmpty ? nil : try indexer.seal(reason, purpose: "request-reason"))
            let removed = try tx.uow.decryption.deleteGrantKeys(requestID: id)
            try tx.record(actor.draft(.grantRevoked, target: "request:\(id)", details: ["keys_deleted": "\(removed)"]))
        }
        textIndexes.drop(grant: id)
        try archive.store.forgetDeleted()
    }

    /// Ends grants whose time is up and lapses requests nobody approved in time, deleting their key
    /// material. Runs on a timer in the server and before every request page; returns how many ended.
    @discardableResult
    public func expireDue() throws -> Int {
        let now = archive.clock.now()
        let due = try archive.read { try $0.decryption.due(now: now) }
        guard !due.expired.isEmpty || !due.lapsed.isEmpty else { return 0 }
        let system = Actor.system()
        try archive.transaction { tx in
            for id in due.expired {
                guard try tx.uow.decryption.find(id: id)?.status == .granted else { continue }
                try tx.uow.decryption.close(requestID: id, status: .expired, at: now, by: system.username, reason: nil)
                let removed = try tx.uow.decryption.deleteGrantKeys(requestID: id)
                try tx.record(system.draft(.grantExpired, target: "request:\(id)", details: ["keys_deleted": "\(removed)"]))
            }
            for id in due.lapsed {
                guard try tx.uow.decryption.find(id: id)?.status == .pending else { continue }
                try tx.uow.decryption.close(requestID: id, status: .lapsed, at: now, by: system.username, reason: nil)
                let removed = try tx.uow.decryption.deletePartials(requestID: id)
                try tx.record(system.draft(.requestLapsed, target: "request:\(id)", details: ["partials_deleted": "\(removed)"]))
            }
        }
        for id in due.expired { textIndexes.drop(grant: id) }
        textIndexes.sweep(now: now)
        try archive.store.forgetDeleted()
        return due.expired.count + due.lapsed.count
    }

    /// Drops this process's content-search indexes of grants that have ended, here or on another server of the
    /// archive (a revocation there is seen here at the latest by the next round of every server's housekeeping).
    public func sweepTextIndexes() throws {
        let now = archive.clock.now()
        textIndexes.sweep(now: now)
        let held = textIndexes.heldGrants
        guard !held.isEmpty else { return }
        let ended = try archive.read { uow in
            try held.filter { id in
                guard let r = try uow.decryption.find(id: id) else { return true }
                return r.status != .granted || (r.expiresAt ?? 0) <= now
            }
        }
        for id in ended { textIndexes.drop(grant: id) }
    }

    /// The viewer's own live grant covering `messageID`, if any.
    public func liveGrant(messageID: Int64, user: User) throws -> Int64? {
        let now = archive.clock.now()
        return try archive.read { try $0.decryption.liveGrant(requesterID: user.id, messageID: messageID, now: now) }
    }

    /// Rows of key material (partials, grant keys) a request still has in the database.
    public func keyMaterialCount(requestID: Int64) throws -> Int {
        try archive.read { try $0.decryption.keyMaterialCount(requestID: requestID) }
    }
}
