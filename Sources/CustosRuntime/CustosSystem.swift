import CustosCapture
import CustosCore
import CustosCrypto
import CustosPostgres
import CustosStore
import Foundation

/// Where an archive's database is: the SQLite file in the data directory (the default), or a PostgreSQL database
/// (`--database postgres://…`). The data directory holds the server's keys and signed head either way.
public enum ArchiveDatabase: Sendable {
    case sqlite
    case postgres(PostgresEndpoint)

    /// From a `--database` option: nil for the SQLite file, a postgres:// URL for PostgreSQL.
    public init(option: String?) throws {
        guard let option, !option.isEmpty else { self = .sqlite; return }
        do {
            self = .postgres(try PostgresEndpoint(url: option))
        } catch {
            throw StartupError("--database: \(error)")
        }
    }

    /// Where the archive lives, in words safe to print (a URL never shows a password).
    public var displayName: String {
        switch self {
        case .sqlite: "the SQLite file in the data directory"
        case .postgres(let endpoint): endpoint.displayURL
        }
    }
}

/// One opened data directory: its keys, database and the domain services wired to them.
/// The CLI and the web application both start from here.
public struct CustosSystem: Sendable {
    public let dataDirectory: String
    public let resources: Resources
    public let keys: ServerKeys
    public let database: ArchiveDatabase
    public let store: any ArchiveStore
    /// The same store when it is SQLite (benchmarks and tests reach its file); nil on PostgreSQL.
    public let sqlite: SQLiteArchiveStore?
    public let archive: Archive
    public let clock: any Clock
    public let signIn: SignInService
    public let accounts: AccountService
    public let users: UserAdministration
    public let registry: EpochRegistry
    public let ceremonies: CeremonyService
    public let devices: CustodianDeviceService
    public let captureTokens: CaptureTokenService
    public let ingest: IngestService
    public let indexer: MetadataIndexer
    public let search: SearchService
    public let decryption: DecryptionService
    public let holds: HoldService
    public let review: ReviewService
    public let contentSearch: ContentSearchService
    public let retention: RetentionService
    public let disposition: DispositionService
    public let auditExplorer: AuditExplorer
    public let accessReports: AccessReportService
    /// Decides which of the servers on this archive runs the background jobs (one, on SQLite).
    public let backgroundLease: BackgroundLease

    /// The database file inside a data directory.
    public static func databasePath(_ dir: String) -> String { (dir as NSString).appendingPathComponent("custos.sqlite") }
    static func keysPath(_ dir: String) -> String { (dir as NSString).appendingPathComponent("keys") }
    static func headPath(_ dir: String) -> String { (dir as NSString).appendingPathComponent(AuditHeadFile.fileName) }

    /// Opens an initialised data directory. `work` runs password hashing and other heavy work; one-time passwords
    /// issued here work for `oneTimePasswordLifetime` seconds.
    public static func open(dataDirectory: String, database: ArchiveDatabase = .sqlite, resources: Resources,
                            clock: any Clock = SystemClock(),
                            sessionPolicy: SessionPolicy = SessionPolicy(), throttlePolicy: ThrottlePolicy = ThrottlePolicy(),
                            decryptionPolicy: DecryptionPolicy = DecryptionPolicy(),
                            reportSettings: AccessReportSettings = AccessReportSettings(),
                            auditHead: AuditHeadAnchor.Mode = .immediate,
                            oneTimePasswordLifetime: Int64 = Credentials.defaultOneTimePasswordLifetime,
                            backgroundLeaseSeconds: Int64 = 60,
                            work: BlockingWork = BlockingWork()) throws -> CustosSystem {
        switch database {
        case .sqlite:
            guard FileManager.default.fileExists(atPath: databasePath(dataDirectory)) else {
                throw StartupError("\(dataDirectory) is not a Custos data directory (no custos.sqlite); run `custos init --data \(dataDirectory)` first")
            }
        case .postgres:
            guard FileManager.default.fileExists(atPath: keysPath(dataDirectory)) else {
                throw StartupError("\(dataDirectory) holds no server keys; run `custos init --data \(dataDirectory) --database URL` first")
            }
        }
        let keys = try ServerKeys.load(from: keysPath(dataDirectory))
        return try CustosSystem(dataDirectory: dataDirectory, database: database, resources: resources, keys: keys, clock: clock,
                                sessionPolicy: sessionPolicy, throttlePolicy: throttlePolicy, decryptionPolicy: decryptionPolicy,
                                reportSettings: reportSettings, auditHead: auditHead,
                                oneTimePasswordLifetime: oneTimePasswordLifetime, backgroundLeaseSeconds: backgroundLeaseSeconds, work: work)
    }

    private init(dataDirectory: String, database: ArchiveDatabase, resources: Resources, keys: ServerKeys, clock: any Clock,
                 sessionPolicy: SessionPolicy, throttlePolicy: ThrottlePolicy, decryptionPolicy: DecryptionPolicy,
                 reportSettings: AccessReportSettings = AccessReportSettings(), auditHead: AuditHeadAnchor.Mode = .immediate,
                 oneTimePasswordLifetime: Int64, backgroundLeaseSeconds: Int64 = 60, work: BlockingWork = BlockingWork()) throws {
        self.dataDirectory = dataDirectory
        self.resources = resources
        self.keys = keys
        self.clock = clock
        self.database = database
        switch database {
        case .sqlite:
            let sqlite = try SQLiteArchiveStore(path: Self.databasePath(dataDirectory), migrations: resources.migrations)
            // Values sealed before subkeys move to their purpose's subkey once, before anything reads them.
            let upgrade = try KeyUpgrade(keys: keys)
            _ = try sqlite.resealUnderSubkeys({ try upgrade.reseal($1, as: $0) }, now: clock.now())
            self.sqlite = sqlite
            store = sqlite
        case .postgres(let endpoint):
            // A PostgreSQL archive is born sealing under subkeys (its schema records the upgrade as done).
            sqlite = nil
            do {
                store = try PostgresArchiveStore(endpoint: endpoint, migrations: resources.postgresMigrations)
            } catch {
                throw StartupError("\(endpoint.displayURL): \(error)")
            }
        }
        let log = AuditLog(signingKey: keys.auditSigning, clock: clock, anchor: AuditHeadAnchor(path: Self.headPath(dataDirectory), mode: auditHead))
        archive = Archive(store: store, auditLog: log, clock: clock)
        let hasher = PasswordHasher()
        signIn = try SignInService(archive: archive, keys: keys, hasher: hasher, work: work,
                                   sessionPolicy: sessionPolicy, throttlePolicy: throttlePolicy)
        accounts = AccountService(archive: archive, keys: keys, hasher: hasher, work: work, passwords: try resources.passwordPolicy(),
                                  throttlePolicy: throttlePolicy)
        users = UserAdministration(archive: archive, hasher: hasher, work: work, keys: keys, oneTimePasswordLifetime: oneTimePasswordLifetime)
        registry = EpochRegistry()
        ceremonies = CeremonyService(archive: archive, registry: registry)
        devices = CustodianDeviceService(archive: archive)
        captureTokens = CaptureTokenService(archive: archive)
        indexer = try MetadataIndexer(keys: keys)
        ingest = IngestService(archive: archive, indexer: indexer, registry: registry)
        search = SearchService(archive: archive, indexer: indexer)
        decryption = try DecryptionService(archive: archive, registry: registry, indexer: indexer, keys: keys, work: work,
                                           policy: decryptionPolicy, throttle: throttlePolicy)
        holds = HoldService(archive: archive, indexer: indexer)
        review = ReviewService(archive: archive, indexer: indexer)
        contentSearch = ContentSearchService(archive: archive, decryption: decryption, indexer: indexer,
                                             extract: ContentReader.searchable)
        retention = RetentionService(archive: archive, indexer: indexer)
        disposition = DispositionService(archive: archive)
        auditExplorer = AuditExplorer(archive: archive)
        accessReports = AccessReportService(archive: archive, indexer: indexer, settings: reportSettings)
        backgroundLease = BackgroundLease(archive: archive, period: backgroundLeaseSeconds)
    }

    /// Creates a data directory: server keys, database and the first administrator, whose
    /// one-time password (working for `oneTimePasswordLifetime` seconds) is returned to be shown once.
    /// Refuses a directory that already has content.
    public static func initialize(dataDirectory: String, database: ArchiveDatabase = .sqlite, resources: Resources,
                                  adminUsername: String = "admin",
                                  clock: any Clock = SystemClock(), minimumRetentionDays: Int = 366,
                                  oneTimePasswordLifetime: Int64 = Credentials.defaultOneTimePasswordLifetime)
        async throws -> (CustosSystem, UserAdministration.Created) {
        guard (1...73_050).contains(minimumRetentionDays) else { throw StartupError("the minimum retention period must be 1 to 73,050 days") }
        let fm = FileManager.default
        if fm.fileExists(atPath: dataDirectory) {
            let contents = (try? fm.contentsOfDirectory(atPath: dataDirectory)) ?? ["?"]
            guard contents.isEmpty else {
                throw StartupError("\(dataDirectory) already exists and is not empty; refusing to touch it")
            }
        }
        try fm.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let keys = try ServerKeys.create(in: keysPath(dataDirectory))
        let system = try CustosSystem(dataDirectory: dataDirectory, database: database, resources: resources, keys: keys, clock: clock,
                                      sessionPolicy: SessionPolicy(), throttlePolicy: ThrottlePolicy(), decryptionPolicy: DecryptionPolicy(),
                                      oneTimePasswordLifetime: oneTimePasswordLifetime)
        _ = try system.archive.transaction { tx in
            // One database, one archive: a PostgreSQL database another data directory initialised is refused.
            guard try tx.uow.users.count() == 0 else {
                throw StartupError("this database already holds an archive; open it with the data directory that initialised it")
            }
            try tx.uow.retention.setMinimumDays(minimumRetentionDays, at: clock.now())
            try tx.record(Actor.system().draft(.systemInitialized, details: ["data_directory": "created",
                                                                            "minimum_retention_days": "\(minimumRetentionDays)"]))
        }
        let admin = try await system.users.create(username: adminUsername, displayName: "Administrator",
                                                  roles: [.admin], actor: .system("custos init"))
        return (system, admin)
    }

    /// Verifies a data directory offline, as someone holding an evidence copy can: without its secret keys (the
    /// signatures are checked against `keys/audit-signing.pub`) and without writing to it (the database is opened
    /// read-only; one whose migrations are behind is refused, not migrated). The archive is checked only against an
    /// intact chain, since its ingest records live there.
    public static func verifyOffline(dataDirectory: String, database: ArchiveDatabase = .sqlite, resources: Resources,
                                     anchorFiles: [String] = [])
        throws -> (audit: AuditVerifier.Report, archive: ArchiveVerifier.Report?) {
        let verify = try offlineVerifier(dataDirectory: dataDirectory, anchorFiles: anchorFiles)
        switch database {
        case .sqlite:
            return try SQLiteArchiveStore.readOnly(path: databasePath(dataDirectory), migrations: resources.migrations, verify)
        case .postgres(let endpoint):
            // One READ ONLY snapshot: the copy is read as it was at one instant, and nothing is written.
            let store = try PostgresArchiveStore(endpoint: endpoint, migrations: resources.postgresMigrations, connections: 1)
            defer { try? store.close() }
            return try store.read(verify)
        }
    }

    /// `custos verify`'s checks as one function of a unit of work: the chain, its checkpoints and the signed head
    /// against the data directory's public key and head file (and any anchored heads), then every envelope.
    public static func offlineVerifier(dataDirectory: String, anchorFiles: [String] = []) throws
        -> @Sendable (any UnitOfWork) throws -> (audit: AuditVerifier.Report, archive: ArchiveVerifier.Report?) {
        let publicKey = try ServerKeys.auditPublicKey(in: keysPath(dataDirectory))
        let head = try AuditHeadFile.read(from: headPath(dataDirectory))
        let anchors = try readAnchors(anchorFiles)
        return { uow in
            let audit = try AuditVerifier(publicKey: publicKey).verify(uow, head: head, anchors: anchors)
            return (audit, audit.ok ? try ArchiveVerifier().verify(uow) : nil)
        }
    }

    /// Verifies the audit chain, checkpoints and signed head, and any anchored heads (copies of an
    /// earlier `audit-head.json` kept outside the server, by file path).
    public func verifyAudit(anchorFiles: [String] = []) throws -> AuditVerifier.Report {
        let head = try AuditHeadFile.read(from: Self.headPath(dataDirectory))
        let anchors = try Self.readAnchors(anchorFiles)
        return try archive.read { uow in
            try AuditVerifier(publicKey: keys.auditSigning.publicKey).verify(uow, head: head, anchors: anchors)
        }
    }

    /// The anchored heads named on the command line, each labelled by its file name.
    static func readAnchors(_ files: [String]) throws -> [(label: String, head: AuditCheckpoint)] {
        try files.map { path in
            guard let a = try AuditHeadFile.read(from: path) else { throw StartupError("\(path): no signed head in this file") }
            return (label: (path as NSString).lastPathComponent, head: a)
        }
    }

    /// Verifies every stored envelope against its hash and its audited ingest batch.
    public func verifyArchive() throws -> ArchiveVerifier.Report {
        try archive.read { uow in try ArchiveVerifier().verify(uow) }
    }
}
