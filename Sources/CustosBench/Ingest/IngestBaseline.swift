import CustosRuntime
import Foundation

/// What an ingest baseline measured: only its loading transactions.
struct BaselineResult: Sendable {
    var messages = 0
    var seconds = 0.0
    /// Seconds per transaction of one batch of messages.
    var latencies: [Double] = []
    /// Seconds of `seconds` the loading thread (or, on PostgreSQL, the cluster's processes) was runnable but waiting
    /// for a CPU another process had.
    var waitSeconds = 0.0
    /// CPU seconds the database server's processes used while loading (PostgreSQL; 0 for SQLite, which loads in this
    /// process's thread).
    var serverCPUSeconds = 0.0

    /// Messages per second, loading time only.
    var throughput: Double { seconds > 0 ? Double(messages) / seconds : 0 }
}

/// The ingest baseline of the run's engine: bare SQLite inserts, or PostgreSQL's COPY. Either copies, after each
/// part of the upload, what the archive stored since the last part.
enum IngestBaseline {
    case sqlite(SQLiteBaseline)
    case postgres(PostgresBaseline)

    /// The baseline for `database`, empty and migrated; `workdir` holds SQLite's file.
    static func make(database: BenchDatabase, dataDirectory: String, workdir: String, resources: Resources,
                     batchSize: Int) async throws -> IngestBaseline {
        guard let cluster = database.postgres else {
            return .sqlite(try SQLiteBaseline(sourcePath: CustosSystem.databasePath(dataDirectory),
                                              path: (workdir as NSString).appendingPathComponent("baseline.sqlite"),
                                              migrations: resources.migrations, batchSize: batchSize))
        }
        return .postgres(try await PostgresBaseline.make(cluster: cluster, resources: resources, batchSize: batchSize))
    }

    /// Copies the messages stored since the last call, timing only the loading.
    mutating func copyNew() async throws {
        switch self {
        case .sqlite(var b):
            try b.copyNew()
            self = .sqlite(b)
        case .postgres(let b):
            try await b.copyNew()
        }
    }

    /// Everything measured so far.
    var result: BaselineResult {
        switch self {
        case .sqlite(let b): return b.result
        case .postgres(let b): return b.result
        }
    }

    /// Lets the database connections go.
    func close() async {
        if case .postgres(let b) = self { await b.close() }
    }
}
