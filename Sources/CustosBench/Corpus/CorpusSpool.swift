import CustosCore
import Foundation

/// The corpus as ready-to-send request bodies, one file per batch, generated before any clock starts
/// so the timed upload only reads a file from the page cache and sends it.
struct CorpusSpool: Sendable {
    /// Where the batch files are.
    let directory: String
    /// Messages per batch (the last may have fewer).
    let batchSize: Int
    /// Messages in all.
    let messageCount: Int
    /// Bytes of all bodies together.
    let totalBytes: Int

    /// How many batches there are.
    var batchCount: Int { (messageCount + batchSize - 1) / batchSize }

    /// The message indices in batch `b`.
    func range(_ b: Int) -> Range<Int> { b * batchSize..<min(messageCount, (b + 1) * batchSize) }

    /// The file of batch `b`.
    func path(_ b: Int) -> String { (directory as NSString).appendingPathComponent(String(format: "batch-%06d.json", b)) }

    /// The body of batch `b`.
    func body(_ b: Int) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path(b)) else { throw BenchError("cannot read \(path(b))") }
        return data
    }

    /// Writes the batches numbered `only` (every batch of `corpus` when nil) into `directory` on `workers` tasks,
    /// then checks the first of them against the real decoder. `totalBytes` counts the batches written.
    static func generate(corpus: SyntheticCorpus, forge: EnvelopeForge, epoch: Int, batchSize: Int,
                         directory: String, workers: Int, only: Range<Int>? = nil) async throws -> CorpusSpool {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let shape = CorpusSpool(directory: directory, batchSize: batchSize, messageCount: corpus.count, totalBytes: 0)
        let batches = only ?? 0..<shape.batchCount
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for w in 0..<workers {
                group.addTask {
                    var written = 0
                    for b in stride(from: batches.lowerBound + w, to: batches.upperBound, by: workers) {
                        let range = shape.range(b)
                        var writer = BatchWriter(capacity: range.count * 3_600)
                        for i in range {
                            let m = corpus.message(i)
                            writer.append(m, envelope: forge.envelope(for: m, seed: corpus.seed), epoch: epoch)
                        }
                        let bytes = writer.finish()
                        guard FileManager.default.createFile(atPath: shape.path(b), contents: Data(bytes)) else {
                            throw BenchError("cannot write \(shape.path(b))")
                        }
                        written += bytes.count
                    }
                    return written
                }
            }
            return try await group.reduce(0, +)
        }
        let spool = CorpusSpool(directory: directory, batchSize: batchSize, messageCount: corpus.count, totalBytes: total)
        if !batches.isEmpty { try spool.checkAgainstWireFormat(batch: batches.lowerBound, corpus: corpus, forge: forge, epoch: epoch) }
        return spool
    }

    /// Batch `b`, decoded by the server's own `IngestRequest` decoder, must equal the items JSONEncoder's path would build.
    func checkAgainstWireFormat(batch b: Int, corpus: SyntheticCorpus, forge: EnvelopeForge, epoch: Int) throws {
        let decoded = try JSONDecoder().decode(IngestRequest.self, from: try body(b)).messages
        let expected = range(b).map { i -> IngestItem in
            let m = corpus.message(i)
            let e = forge.envelope(for: m, seed: corpus.seed)
            return IngestItem(uid: m.uid, epoch: epoch, platform: m.platform, conversation: m.conversation, direction: m.direction,
                              sentAt: m.sentAt, size: m.size, attachmentCount: m.mediaTypes.count, mediaTypes: m.mediaTypes,
                              participants: m.participants.map { IngestParticipant(address: $0.address, name: $0.name, part: $0.part) },
                              envelope: IngestEnvelope(ephemeral: Data(e.ephemeral).base64EncodedString(),
                                                       nonce: Data(e.nonce).base64EncodedString(),
                                                       ciphertext: Data(e.ciphertext).base64EncodedString(),
                                                       ciphertextHash: Data(e.ciphertextHash).base64EncodedString()))
        }
        guard decoded == expected else { throw BenchError("the hand-written batch JSON does not decode to the expected IngestItems") }
    }
}

/// A benchmark failure worth stopping for, with a message for the person running it.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
