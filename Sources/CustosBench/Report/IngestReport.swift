import CustosCore
import CustosRuntime
import CustosWeb

/// After the upload: the archive holds exactly the corpus, and the audit chain and the archive verify.
struct ArchiveChecks {
    /// Whether everything held.
    var ok = true
    /// One line per check, for under the table.
    var lines: [String] = []

    /// Counts the stored messages and runs `custos verify`'s two verifiers.
    static func run(system: CustosSystem, expected: Int) throws -> ArchiveChecks {
        var checks = ArchiveChecks()
        let stored = try system.store.read { try $0.search.count(SearchCriteria()) }
        checks.add(Int(stored) == expected, "archive holds \(Measure.grouped(Int(stored))) messages (expected \(Measure.grouped(expected)))")
        let (audit, auditSeconds) = try Measure.time { try system.verifyAudit() }
        checks.add(audit.ok, "audit chain: \(audit.entries) entries, \(audit.checkpoints) signed checkpoints and the signed head "
                   + (audit.ok ? "verify" : "FAIL: \(audit.failure ?? "?")") + " (\(Measure.fixed(auditSeconds, 2)) s)")
        let (archive, archiveSeconds) = try Measure.time { try system.verifyArchive() }
        checks.add(archive.ok, "archive: \(Measure.grouped(Int(archive.messages))) envelopes match their hashes and audited ingest batches "
                   + (archive.ok ? "" : "— FAIL: \(archive.failure ?? "?") ") + "(\(Measure.fixed(archiveSeconds, 1)) s)")
        return checks
    }

    /// Adds another stage's checks after these.
    mutating func merge(_ other: ArchiveChecks) {
        ok = ok && other.ok
        lines += other.lines
    }

    /// Records one check and its outcome.
    mutating func add(_ passed: Bool, _ line: String) {
        ok = ok && passed
        lines.append((passed ? "check ok:     " : "check FAILED: ") + line)
    }
}

/// The ingest figures: Custos through HTTP beside the direct-SQLite baseline.
enum IngestReport {
    /// Ingest must reach this fraction of the baseline's throughput.
    static let ratioTarget = 0.6
    /// And load a million messages within this many seconds.
    static let millionSecondsTarget = 240.0

    /// Adds the ingest rows and their notes to `table`.
    static func add(to table: inout ResultTable, count: Int, upload: HTTPIngest.Result, uploadDatabaseCPU: Double, baseline: BaselineResult,
                    database: BenchDatabase, memory: (resident: Int, peak: Int), seal: Double, spool: CorpusSpool, connections: Int) {
        let n = Measure.grouped(count)
        let postgres = database.engine == .postgres
        table.add("ingest, msgs/s (\(n) msgs, HTTP vs " + (postgres ? "COPY into PostgreSQL)" : "direct SQLite)"), custos: Measure.grouped(Int(upload.throughput)),
                  baseline: Measure.grouped(Int(baseline.throughput)), ratio: ResultTable.ratio(upload.throughput, baseline.throughput),
                  target: "≥ \(ratioTarget)×", met: upload.throughput >= ratioTarget * baseline.throughput)
        let full = count >= 1_000_000
        // Below 1 M the time for 1 M is extrapolated at this run's rate, which flatters it: inserts slow as indexes grow.
        let million = full ? upload.seconds * 1_000_000 / Double(count) : 1_000_000 / max(upload.throughput, 1)
        table.add(full ? "time for \(n) msgs, s" : "time for \(n) msgs, s (1 M projected: \(Measure.fixed(million, 0)) s)",
                  custos: Measure.fixed(upload.seconds), baseline: Measure.fixed(baseline.seconds),
                  ratio: ResultTable.ratio(upload.seconds, baseline.seconds), target: "1 M < \(Int(millionSecondsTarget)) s",
                  met: million < millionSecondsTarget)
        for p in [50.0, 99.0] {
            let custos = Measure.percentile(upload.latencies, p) * 1_000
            let base = Measure.percentile(baseline.latencies, p) * 1_000
            table.add("batch of \(spool.batchSize), p\(Int(p)) ms (HTTP round trip vs one " + (postgres ? "COPY transaction)" : "transaction)"),
                      custos: Measure.fixed(custos),
                      baseline: Measure.fixed(base), ratio: ResultTable.ratio(custos, base))
        }
        let serverMicros = upload.serverCPUSeconds / Double(max(upload.messages, 1)) * 1e6
        let baseMicros = baseline.seconds / Double(max(baseline.messages, 1)) * 1e6
        table.add("server CPU per message, µs (baseline: " + (postgres ? "COPY time)" : "insert time)"), custos: Measure.fixed(serverMicros),
                  baseline: Measure.fixed(baseMicros), ratio: ResultTable.ratio(serverMicros, baseMicros))
        if postgres {
            // The database's own work happens in PostgreSQL's processes, not the server's: counted here for both sides.
            let custosDB = uploadDatabaseCPU / Double(max(upload.messages, 1)) * 1e6
            let baseDB = baseline.serverCPUSeconds / Double(max(baseline.messages, 1)) * 1e6
            table.add("PostgreSQL's CPU per message, µs (all its processes, during the upload vs during COPY)", custos: Measure.fixed(custosDB),
                      baseline: Measure.fixed(baseDB), ratio: ResultTable.ratio(custosDB, baseDB))
        }
        table.add("server memory at end (peak), MiB", custos: "\(Measure.fixed(Double(memory.resident) / 1_048_576, 0)) "
                  + "(\(Measure.fixed(Double(memory.peak) / 1_048_576, 0)))")
        table.add("Envelope.seal on the client, µs/msg (1 core)", custos: Measure.fixed(seal))

        table.note("Custos: `custos serve`'s code path in a separate process (release build) on 127.0.0.1, \(connections) keep-alive "
                   + "connections, \(spool.batchCount) POSTs of ≤ \(spool.batchSize) messages, \(Measure.mebibytes(spool.totalBytes)) of JSON "
                   + "(\(spool.totalBytes / max(count, 1)) bytes/msg on the wire).")
        table.note("Server CPU \(Measure.fixed(upload.serverCPUSeconds)) s over \(Measure.fixed(upload.seconds)) s wall "
                   + "(\(Measure.fixed(upload.serverCPUSeconds / max(upload.seconds, 0.001), 2)) cores busy); the benchmark client used "
                   + "\(Measure.fixed(upload.clientCPUSeconds)) s CPU on the same machine.")
        let serverShare = upload.serverWaitSeconds / max(upload.seconds * 2, 0.001)
        let baseShare = baseline.waitSeconds / max(baseline.seconds, 0.001)
        let busy = max(serverShare, baseShare) > 0.1 ? " Busy machine: rerun when it is quiet." : ""
        table.note("CPU contention: the server's threads waited \(Measure.fixed(upload.serverWaitSeconds)) s for a CPU held by another "
                   + "process, other work or this benchmark's client (\(Measure.fixed(serverShare * 100, 0)) % of 2 cores × wall); "
                   + (postgres ? "PostgreSQL's processes during COPY " : "the baseline's thread ")
                   + "\(Measure.fixed(baseline.waitSeconds, 2)) s (\(Measure.fixed(baseShare * 100, 0)) %)." + busy)
        table.note("Results: \(Measure.grouped(upload.stored)) stored, \(Measure.grouped(upload.duplicates)) duplicates, "
                   + "\(Measure.grouped(upload.rejected)) rejected" + (upload.firstRejection.map { " (first reason: \($0))" } ?? "") + ".")
        if postgres {
            table.note("Database: " + database.description + ".")
            table.note("Baseline: the same rows (ids and seals included) read back from the archive and loaded with COPY … FROM STDIN "
                       + "(text format, postgres-nio) into a second database of the same cluster with the same migrated schema, as the same "
                       + "application role, three COPYs (messages, participants, envelopes) in one transaction per \(spool.batchSize) messages; "
                       + "the schema's triggers (write-once guards, the counts kept at ingest) fire for it as for Custos; the COPY text is "
                       + "prepared before the clock starts, as a file for psql's \\copy would be; interleaved with the upload in tenths. "
                       + "Custos's own server CPU excludes PostgreSQL's, shown on its own row.")
        } else {
            table.note("Baseline: the same rows read back from the archive, inserted into a fresh database with the same schema and pragmas "
                       + "(WAL, synchronous=NORMAL, 8 KiB pages, the writer's 48 MiB cache and 32,000-page checkpoints), \(spool.batchSize) messages per transaction, cached prepared statements; "
                       + "interleaved with the upload in tenths.")
        }
        let sealRate = seal > 0 ? 1e6 / seal : 0
        table.note("Sealing for real (forged envelopes were uploaded): \(Measure.fixed(seal)) µs/msg ≈ \(Measure.grouped(Int(sealRate))) msgs/s "
                   + "per client core; a capture client sealing 1 M messages spends ≈ \(Measure.fixed(seal, 0)) s of CPU on it.")
    }
}
