import ArgumentParser
import CustosCore
import CustosCrypto
import CustosRuntime
import CustosStore
import CustosWeb
import Foundation

/// `custos-bench profile`: where the server's ingest time goes, stage by stage, in one process without
/// HTTP. Each stage is the same public call the server makes (IngestAPIController, IngestService.record),
/// timed on its own over the same batches; then the real `IngestService.ingest` runs and the remainder
/// after the measured stages is SQLite, the audit entry and the commit.
struct ProfileIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "profile",
                                                    abstract: "Time each stage of server-side ingest per message, in-process.")

    @OptionGroup var corpusOptions: CorpusOptions

    func run() async throws {
        let count = try corpusOptions.messageCount(default: 20_000)
        let workdir = try corpusOptions.makeWorkdir()
        defer { corpusOptions.cleanUp(workdir) }
        let resources = try Resources.locate()
        let setup = try await ArchiveSetup.make(dataDirectory: (workdir as NSString).appendingPathComponent("archive"), database: .sqlite,
                                               resources: resources)
        let corpus = SyntheticCorpus(count: count)
        let spool = try await CorpusSpool.generate(corpus: corpus, forge: try EnvelopeForge(), epoch: setup.publicKey.epoch,
                                                   batchSize: corpusOptions.batch, directory: (workdir as NSString).appendingPathComponent("spool"),
                                                   workers: ProcessInfo.processInfo.activeProcessorCount)
        let system = try CustosSystem.open(dataDirectory: setup.dataDirectory, resources: resources)
        guard let token = try system.captureTokens.authenticate(setup.token) else { throw BenchError("the capture token does not authenticate") }
        progress("Profiling \(Measure.grouped(count)) messages in \(spool.batchCount) batches, in-process …")

        let inserts = try SQLiteArchiveStore(path: (workdir as NSString).appendingPathComponent("inserts.sqlite"), migrations: resources.migrations)
        let archiveReader = try SQLiteConnection(path: system.sqlite!.database.path, readOnly: true)
        try SQLiteBaseline.copyReferences(from: archiveReader, to: inserts.database)
        let tools = IngestStages.Tools(indexer: system.indexer, blind: try BlindIndex(masterKey: system.keys.blindIndexKey),
                                       database: system.sqlite!.database, tokenID: token.id)
        var stages = StageTimes()
        for b in 0..<spool.batchCount {
            let body = try spool.body(b)
            let request = try stages.time(.decode) { try JSONDecoder().decode(IngestRequest.self, from: body) }
            let records = try IngestStages.measure(request.messages, tools: tools, into: &stages)
            // The repository's inserts of the same records, in a second archive: SQLite as the server drives it.
            try stages.time(.insert) { try inserts.write { uow in for r in records { _ = try uow.messages.insert(r) } } }
            let results = try stages.time(.ingest) { try system.ingest.ingest(request.messages, token: token, client: "127.0.0.1") }
            guard results.allSatisfy({ $0.status == .stored }) else {
                throw BenchError("batch \(b): not every message was stored: \(results.first { $0.status != .stored }?.reason ?? "?")")
            }
            _ = try stages.time(.encode) { try JSONEncoder().encode(IngestResponse(results: results)) }
        }
        let baseline = try SQLiteBaseline.run(sourcePath: system.sqlite!.database.path,
                                              path: (workdir as NSString).appendingPathComponent("baseline.sqlite"),
                                              migrations: resources.migrations, batchSize: corpusOptions.batch)
        print(stages.render(messages: count, baselineSeconds: baseline.seconds))
    }
}

/// Accumulated wall and thread-CPU seconds per ingest stage.
struct StageTimes {
    /// The stages, in the order the server runs them.
    enum Stage: Int, CaseIterable {
        case decode, base64, point, envelope, header, normalize, blindIndex, blake2bOnly, sealDisplay, messageSeal, lookup, insert, ingest, encode

        /// What the stage is, naming the call that does it on the server.
        var label: String {
            switch self {
            case .decode: "JSON decode of the body (Foundation JSONDecoder → IngestRequest)"
            case .base64: "base64 decode of R, nonce, ciphertext, hash (Data(base64Encoded:))"
            case .point: "R validation (Ristretto255.Point(bytes:))"
            case .envelope: "envelope check incl. BLAKE2b-256 of the ciphertext (Envelope.init)"
            case .header: "header canonical encoding (EnvelopeHeader.canonicalEncoding)"
            case .normalize: "address normalisation in record() (MetadataIndexer.normalize: trimmingCharacters + lowercased)"
            case .blindIndex: "blind-index tokens via MetadataIndexer (participant, domain, conversation; each normalises again)"
            case .blake2bOnly: "  of which keyed BLAKE2b alone (BlindIndex.token on normalised values)"
            case .sealDisplay: "display values sealed (XChaCha20-Poly1305, per participant + conversation)"
            case .messageSeal: "message seals (MessageSeal.seal: 8 BLAKE2b-128 digests of index facts and envelope parts)"
            case .lookup: "uid existence lookups (one SELECT per uid, as existing(uids:) does)"
            case .insert: "repository inserts: message + participants + envelope rows, one transaction (second archive)"
            case .ingest: "IngestService.ingest in all"
            case .encode: "JSON encode of the response (Foundation JSONEncoder)"
            }
        }
    }

    private var wall = [Double](repeating: 0, count: Stage.allCases.count)
    private var cpu = [Double](repeating: 0, count: Stage.allCases.count)

    /// Runs `body`, adding its wall and CPU time to `stage`.
    mutating func time<T>(_ stage: Stage, _ body: () throws -> T) rethrows -> T {
        let cpuStart = Measure.threadCPU()
        let (value, s) = try Measure.time(body)
        wall[stage.rawValue] += s
        cpu[stage.rawValue] += Measure.threadCPU() - cpuStart
        return value
    }

    /// A table: wall and CPU µs per message and share of the server's work, with IngestService's own remainder derived.
    func render(messages: Int, baselineSeconds: Double) -> String {
        let per = { (s: Double) in Measure.fixed(s / Double(max(messages, 1)) * 1e6, 1) }
        // Stages inside IngestService.ingest, as measured separately (the BLAKE2b-only row is part of blindIndex).
        let inside: [Stage] = [.base64, .point, .envelope, .header, .normalize, .blindIndex, .sealDisplay, .messageSeal, .lookup, .insert]
        let sum = { (v: [Double], stages: [Stage]) in stages.map { v[$0.rawValue] }.reduce(0, +) }
        let restWall = max(0, wall[Stage.ingest.rawValue] - sum(wall, inside))
        let restCPU = max(0, cpu[Stage.ingest.rawValue] - sum(cpu, inside))
        let total = sum(wall, [.decode, .ingest, .encode])
        var table = ResultTable(columns: ["stage", "wall µs/msg", "CPU µs/msg", "share"], numeric: [1, 2, 3])
        for stage in [Stage.decode] + inside.prefix(6) + [.blake2bOnly] + inside.suffix(4) {
            table.add([stage.label, per(wall[stage.rawValue]), per(cpu[stage.rawValue]),
                       Measure.fixed(wall[stage.rawValue] / max(total, 1e-9) * 100, 1) + " %"])
        }
        table.add(["rest of IngestService.ingest: validation, dedup keys, digest, audit entry, BEGIN/COMMIT", per(restWall), per(restCPU),
                   Measure.fixed(restWall / max(total, 1e-9) * 100, 1) + " %"])
        let encode = Stage.encode.rawValue
        table.add([Stage.encode.label, per(wall[encode]), per(cpu[encode]), Measure.fixed(wall[encode] / max(total, 1e-9) * 100, 1) + " %"])
        table.add(["server work in all (decode + IngestService.ingest + encode)", per(total), per(sum(cpu, [.decode, .ingest, .encode])), "100 %"])
        table.add(["baseline: the same rows inserted directly (SQLiteBaseline)", per(baselineSeconds), "", ""])
        table.note("Each stage was timed on its own over the same decoded batches with the server's own calls; the rest of ingest is "
                   + "IngestService.ingest's time minus the stages inside it. HTTP handling (Hummingbird, body collection) is not included.")
        return table.render()
    }
}
