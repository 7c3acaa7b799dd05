import CustosCrypto

/// Storage ports, in the domain's words: what the archive needs from a store, never how an engine does it
/// (each store module keeps its own mechanics: SQLite's WAL and kept snapshots, PostgreSQL's MVCC). The domain
/// talks only to these. Every write happens inside one `UnitOfWork`, so an action and the audit entry recording
/// it commit together or not at all (P7).
public protocol ArchiveStore: Sendable {
    /// Runs `body` in one write transaction; a throw rolls everything back.
    func write<T>(_ body: (any UnitOfWork) throws -> T) throws -> T
    /// Runs `body` against one consistent view of the archive.
    func read<T>(_ body: (any UnitOfWork) throws -> T) throws -> T
    /// `write` for a transaction that only appends audit entries (`Archive.record`), which a store may make cheaper
    /// for readers than other writes.
    func appendAudit<T>(_ body: (any UnitOfWork) throws -> T) throws -> T
    /// A read for pages that read no audit entries: it may see the archive as it was a fraction of a second ago,
    /// provided nothing but audit entries was appended since.
    func readRecent<T>(_ body: (any UnitOfWork) throws -> T) throws -> T
    /// After key material or envelopes were deleted: makes sure no copy of them can be recovered from what the
    /// store keeps (files, journals, free pages), so what was deleted is forgotten for good.
    func forgetDeleted() throws
    /// Releases the store's files or connections; nothing may use it afterwards.
    func close() throws
}

/// The repositories available inside one transaction.
public protocol UnitOfWork: AnyObject {
    var users: any UserRepository { get }
    var sessions: any SessionRepository { get }
    var loginFailures: any LoginFailureRepository { get }
    var audit: any AuditRepository { get }
    var keys: any KeyRepository { get }
    var ceremonies: any CeremonyRepository { get }
    var captureTokens: any CaptureTokenRepository { get }
    var messages: any MessageRepository { get }
    var search: any SearchRepository { get }
    var decryption: any DecryptionRepository { get }
    var holds: any HoldRepository { get }
    var retention: any RetentionRepository { get }
    var devices: any CustodianDeviceRepository { get }
    var leases: any LeaseRepository { get }
    var review: any ReviewRepository { get }
    var notes: any ReviewNoteRepository { get }
}

/// Named leases in the archive's database: which serving instance runs the background jobs. Several servers on
/// one archive agree through it that one of them, and only one, does each job, and another takes over when the
/// holder stops renewing.
public protocol LeaseRepository {
    /// Takes or renews lease `name` for `holder` until `until`, if it is free, expired at `now`, or already
    /// `holder`'s; answers whether `holder` holds it now.
    func acquire(name: String, holder: String, now: Int64, until: Int64) throws -> Bool
    /// Gives the lease up if `holder` holds it, so another instance may take it at once.
    func release(name: String, holder: String) throws
    /// Who holds `name` and until when, if anyone ever did.
    func holder(name: String) throws -> (holder: String, until: Int64)?
}

/// People and their roles.
public protocol UserRepository {
    func create(_ user: NewUser) throws -> User
    func find(id: Int64) throws -> User?
    func find(username: String) throws -> User?
    func all() throws -> [User]
    func count() throws -> Int
    /// Sets the password; `oneTimeUntil` is when a one-time password (`mustChange`) stops working.
    func updatePassword(userID: Int64, hash: String, mustChange: Bool, oneTimeUntil: Int64?, at: Int64) throws
    func setTOTP(userID: Int64, sealedSecret: [UInt8]?, lastCounter: Int64?) throws
    /// Records `counter` as the last TOTP step used, only if it is later than the one recorded; false if it is not
    /// (the step was used already, perhaps by a sign-in running at the same moment).
    func advanceTOTPCounter(userID: Int64, to counter: Int64) throws -> Bool
    func setDisabled(userID: Int64, disabled: Bool) throws
    func setRoles(userID: Int64, roles: Set<Role>, grantedBy: Int64?, at: Int64) throws
    func recordLogin(userID: Int64, at: Int64) throws
}

/// Server-side sessions, looked up by the hash of their token.
public protocol SessionRepository {
    func create(tokenHash: [UInt8], userID: Int64, stage: Session.Stage, activeRole: Role?, now: Int64,
                expiresAt: Int64, clientAddress: String) throws -> Session
    func find(tokenHash: [UInt8]) throws -> Session?
    func touch(id: Int64, at: Int64) throws
    func update(id: Int64, stage: Session.Stage, activeRole: Role?) throws
    /// Moves a session waiting at the TOTP step to active; false if it no longer waits there (or is gone).
    func activate(id: Int64) throws -> Bool
    func delete(id: Int64) throws
    func deleteAll(userID: Int64, except keep: Int64?) throws
    /// Ends every session of a person at `stage`; returns how many.
    @discardableResult
    func deleteAll(userID: Int64, stage: Session.Stage) throws -> Int
    /// Deletes sessions past their end, idle since before `idleSince`, or waiting at the TOTP step since before
    /// `pendingSince`; returns how many.
    func deleteExpired(now: Int64, idleSince: Int64, pendingSince: Int64) throws -> Int
    func count(userID: Int64) throws -> Int
}

/// Attempts counted by the throttle, keyed by an opaque subject token (see `Throttle`): failures, and
/// reservations of attempts in progress, which count as failures until they are released.
public protocol LoginFailureRepository {
    /// Counts one attempt; returns its id, by which a reservation is released.
    @discardableResult
    func record(subject: [UInt8], at: Int64) throws -> Int64
    /// Stops counting the attempts with these ids.
    func remove(ids: [Int64]) throws
    /// The attempts counted for `subject` at or after `since`.
    func tally(subject: [UInt8], since: Int64) throws -> ThrottleTally
    func clear(subject: [UInt8]) throws
    /// When `subject`'s last throttle audit entry was written and the refusals counted since without one.
    func notice(subject: [UInt8]) throws -> ThrottleNotice?
    func saveNotice(subject: [UInt8], _ notice: ThrottleNotice) throws
    /// Deletes attempts counted before `before` and notices written before `noticesBefore`; returns how many rows.
    func purge(before: Int64, noticesBefore: Int64) throws -> Int
}

/// The append-only audit log and its checkpoints.
public protocol AuditRepository {
    func last() throws -> AuditEntry?
    func append(_ entry: AuditEntry) throws
    func appendCheckpoint(_ checkpoint: AuditCheckpoint) throws
    func entries(from seq: Int64, limit: Int) throws -> [AuditEntry]
    func forEachEntry(_ body: (AuditEntry) throws -> Void) throws
    func checkpoints() throws -> [AuditCheckpoint]
    func entry(seq: Int64) throws -> AuditEntry?
    func count(action: String) throws -> Int
    func entries(action: String) throws -> [AuditEntry]
    /// Entries matching `query`, newest first (by time, then sequence), strictly before its cursor.
    func search(_ query: AuditQuery, limit: Int) throws -> [AuditEntry]
    func lastCheckpoint() throws -> AuditCheckpoint?
    /// Entries with `from <= at < until`, in sequence order.
    func entries(from: Int64, until: Int64) throws -> [AuditEntry]
    /// The first checkpoint at or after `seq`: the signature that seals that entry.
    func checkpoint(atOrAfter seq: Int64) throws -> AuditCheckpoint?
    /// The `messages.ingested` entry whose id range ends at or after `messageID`, lowest such range first; the caller
    /// checks that the range also starts at or before it.
    func ingestEntry(atOrAfter messageID: Int64) throws -> AuditEntry?
}

/// Archive key epochs, their transcripts and signatures, and who holds their shares.
public protocol KeyRepository {
    func currentEpoch() throws -> KeyEpochRecord?
    func epoch(_ epoch: Int) throws -> KeyEpochRecord?
    /// Newest first.
    func epochs() throws -> [KeyEpochRecord]
    func insertEpoch(_ record: KeyEpochRecord) throws
    func insertSignature(epoch: Int, signature: EpochSignature) throws
    func signatures(epoch: Int) throws -> [EpochSignature]
    /// The people holding shares of `epoch` (the members of the ceremony that made it), by share index.
    func holders(epoch: Int) throws -> [(index: Int, userID: Int64)]
}

/// Key ceremonies in progress and past.
public protocol CeremonyRepository {
    func create(_ ceremony: NewCeremony) throws -> Int64
    /// The one open ceremony, if any.
    func open() throws -> CeremonyRecord?
    func find(id: Int64) throws -> CeremonyRecord?
    /// Newest first.
    func recent(limit: Int) throws -> [CeremonyRecord]
    func members(ceremonyID: Int64) throws -> [(participant: Int, userID: Int64)]
    func steps(ceremonyID: Int64) throws -> [CeremonyStep]
    func addStep(ceremonyID: Int64, _ step: CeremonyStep) throws
    func close(id: Int64, status: CeremonyStatus, at: Int64, outcome: String) throws
    /// Deletes the share boxes a ceremony collected; returns how many dealings went.
    func deleteDealings(ceremonyID: Int64) throws -> Int
}

/// Capture tokens, found by the hash of their secret.
public protocol CaptureTokenRepository {
    func create(name: String, tokenHash: [UInt8], at: Int64, by: String) throws -> CaptureTokenRecord
    func find(tokenHash: [UInt8]) throws -> CaptureTokenRecord?
    func find(id: Int64) throws -> CaptureTokenRecord?
    func all() throws -> [CaptureTokenRecord]
    func revoke(id: Int64, at: Int64) throws
    func markUsed(id: Int64, at: Int64) throws
}

/// The write-once message store and its metadata index.
public protocol MessageRepository {
    /// Ids of the given uids that are already stored.
    func existing(uids: [String]) throws -> [String: Int64]
    func insert(_ record: MessageRecord) throws -> Int64
    /// Inserts a batch and answers each record's id, in the records' order.
    func insert(_ records: [MessageRecord]) throws -> [Int64]
    func count() throws -> Int
    func countBySender(token: [UInt8]) throws -> Int
    /// Streams every message in id order, with its ciphertext when `withCiphertext`.
    func forEachForVerification(withCiphertext: Bool, _ body: (StoredMessage) throws -> Void) throws
    /// One message as verification reads it (without its ciphertext).
    func stored(id: Int64) throws -> StoredMessage?
    /// The digest inputs of messages `first...last`, in id order.
    func sealRows(first: Int64, last: Int64) throws -> [SealRow]
}
