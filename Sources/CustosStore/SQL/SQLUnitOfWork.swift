import CustosCore

/// The repositories bound to one connection inside one transaction, on either engine.
public final class SQLUnitOfWork: UnitOfWork {
    public let users: any UserRepository
    public let sessions: any SessionRepository
    public let loginFailures: any LoginFailureRepository
    public let audit: any AuditRepository
    public let keys: any KeyRepository
    public let ceremonies: any CeremonyRepository
    public let captureTokens: any CaptureTokenRepository
    public let messages: any MessageRepository
    public let search: any SearchRepository
    public let decryption: any DecryptionRepository
    public let holds: any HoldRepository
    public let retention: any RetentionRepository
    public let devices: any CustodianDeviceRepository
    public let leases: any LeaseRepository
    public let review: any ReviewRepository
    public let notes: any ReviewNoteRepository

    public init(_ conn: any SQLDatabase) {
        search = SQLSearchRepository(db: conn)
        decryption = SQLDecryptionRepository(db: conn)
        holds = SQLHoldRepository(db: conn)
        retention = SQLRetentionRepository(db: conn)
        devices = SQLDeviceRepository(db: conn)
        leases = SQLLeaseRepository(db: conn)
        review = SQLReviewRepository(db: conn)
        notes = SQLReviewNoteRepository(db: conn)
        keys = SQLKeyRepository(db: conn)
        ceremonies = SQLCeremonyRepository(db: conn)
        captureTokens = SQLCaptureTokenRepository(db: conn)
        messages = SQLMessageRepository(db: conn)
        users = SQLUserRepository(db: conn)
        sessions = SQLSessionRepository(db: conn)
        loginFailures = SQLLoginFailureRepository(db: conn)
        audit = SQLAuditRepository(db: conn)
    }
}
