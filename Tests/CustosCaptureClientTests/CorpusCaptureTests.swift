import CustosCapture
import CustosCaptureClient
import Foundation
import Testing

/// Real chat exports and MIME edge cases through the whole client path: each item is captured or
/// rejected with a reason, and nothing crashes.
@Suite("Slack, RSMF and MIME edge-case corpora captured through a real server")
struct CorpusCaptureTests {
    /// One corpus: a name, a format and the paths to read.
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var format: CaptureFormat
        var paths: [String]
        var description: String { name }
    }

    static var cases: [Case] {
        var cases: [Case] = []
        if let slack = TestArchive.corpusPath("chat-exports/slack-export-viewer-testarchive/tests/testarchive.zip") {
            cases.append(Case(name: "Slack export (zip)", format: .slack, paths: [slack]))
        }
        if let rsmf = TestArchive.corpusPath("rsmf/relativity-rsmf-validator-samples/Documentation") {
            cases.append(Case(name: "RSMF samples", format: .rsmf, paths: [rsmf]))
        }
        if let python = TestArchive.corpusPath("email-edge-cases/python-stdlib-email-tests") {
            cases.append(Case(name: "Python email test messages", format: .eml, paths: files(in: python) { $0.hasPrefix("msg_") }))
        }
        if let mimekit = TestArchive.corpusPath("email-edge-cases/mimekit-testdata/UnitTests/TestData/messages") {
            cases.append(Case(name: "MimeKit messages", format: .eml, paths: files(in: mimekit) { $0.hasSuffix(".eml") || $0.hasSuffix(".txt") }))
        }
        if let mbox = TestArchive.corpusPath("email-edge-cases/mimekit-testdata/UnitTests/TestData/mbox") {
            cases.append(Case(name: "MimeKit mbox files", format: .mbox, paths: files(in: mbox) { $0.hasSuffix(".mbox.txt") }))
        }
        return cases
    }

    static func files(in folder: String, where include: (String) -> Bool) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter(include).sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    @Test("every corpus item is captured or rejected with a reason",
          .enabled(if: !cases.isEmpty, "../shared/corpus is absent: the corpus capture tests are skipped"))
    func corpora() async throws {
        try await TestArchive.with { archive in
            var total = 0
            for corpus in Self.cases {
                let summary = try await archive.uploader(options: .init(batchSize: 50))
                    .run(try CaptureReader(format: corpus.format, paths: corpus.paths))
                let p = summary.progress
                print("\(corpus.name): \(p.line)")
                for r in summary.rejections { print("  rejected: \(r.source): \(r.reason)") }
                #expect(p.read == p.captured + p.duplicates + p.rejected, "\(corpus.name): every item is accounted for")
                #expect(p.captured > 0, "\(corpus.name): something was captured")
                #expect(summary.rejections.count == p.rejected)
                #expect(summary.rejections.allSatisfy { !$0.reason.isEmpty && !$0.source.isEmpty }, "\(corpus.name): reasons given")
                total += p.captured
            }
            #expect(try archive.count("SELECT count(*) FROM messages") == total)
            #expect(try archive.system.verifyArchive().ok)
            #expect(try archive.system.verifyAudit().ok)
        }
    }
}
