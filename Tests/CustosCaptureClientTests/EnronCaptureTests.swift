import CustosCapture
import CustosCaptureClient
import CustosCore
import CustosCrypto
import CustosRuntime
import CustosTestSupport
import CustosStore
import CustosWeb
import Foundation
import Testing

/// The Enron sample through the real client path: parse, seal, upload, index; then what a thief of the data directory finds.
@Suite("Enron maildir captured through a real server")
struct EnronCaptureTests {
    static let maildir = TestArchive.corpusPath("enron/maildir")

    @Test("every message is captured once, indexed by sender, and the data directory reveals nothing (P1, P2)",
          .enabled(if: maildir != nil, "../shared/corpus/enron/maildir is absent: the Enron capture test is skipped"))
    func enron() async throws {
        let maildir = try #require(Self.maildir)
        let mails = RawMail.load(under: maildir)
        #expect(mails.count >= 3_000, "the Enron sample has about 3,110 files")
        try await TestArchive.with { archive in
            let started = ContinuousClock.now
            let first = try await archive.uploader().run(try CaptureReader(format: .maildir, paths: [maildir]))
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("Enron capture: \(first.line) in \(String(format: "%.1f", seconds)) s (\(Int(Double(first.captured) / seconds)) messages/s)")
            for rejection in first.rejections { Issue.record("rejected \(rejection.source): \(rejection.reason)") }
            #expect(first.captured == mails.count)
            #expect(first.rejected == 0)
            #expect(try archive.count("SELECT count(*) FROM messages") == mails.count)
            #expect(try archive.count("SELECT count(*) FROM envelopes") == mails.count)

            let second = try await archive.uploader().run(try CaptureReader(format: .maildir, paths: [maildir]))
            #expect(second.line == "captured 0, duplicates \(mails.count), rejected 0")
            #expect(try archive.count("SELECT count(*) FROM messages") == mails.count, "a re-run stores nothing")

            try Self.checkSenderCounts(archive, mails)
            try P1Checks.databaseRevealsNoContent(archive, mails)
            try P2Checks.dataDirectoryOpensNothing(archive, mails)

            let audit = try archive.system.verifyAudit()
            #expect(audit.ok, "\(audit.failure ?? "")")
            let stored = try archive.system.verifyArchive()
            #expect(stored.ok, "\(stored.failure ?? "")")
            #expect(stored.messages == Int64(mails.count))
        }
    }

    /// The index's count of messages per sender equals a count made from the files by a plain first-`From:` scan.
    static func checkSenderCounts(_ archive: TestArchive, _ mails: [RawMail]) throws {
        var expected: [String: Int] = [:]
        for mail in mails {
            guard let sender = mail.sender else { Issue.record("\(mail.path) has no From header"); continue }
            expected[sender, default: 0] += 1
        }
        var mismatches = 0
        for (sender, count) in expected {
            let token = archive.system.indexer.participantToken(sender)
            let indexed = try archive.count("SELECT count(*) FROM message_participants WHERE token = ? AND part = 'from'", [token])
            if indexed != count {
                mismatches += 1
                if mismatches <= 10 { Issue.record("sender #\(mismatches): \(indexed) indexed, \(count) in the files") }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(expected.count) senders disagree")
        #expect(try archive.count("SELECT count(*) FROM message_participants WHERE part = 'from'") == mails.count)
        #expect(expected.count > 1_000)
    }
}

/// P1: the database file and its WAL hold no subject, body line or address of the captured mail.
enum P1Checks {
    static func databaseRevealsNoContent(_ archive: TestArchive, _ mails: [RawMail]) throws {
        let haystack = ByteHaystack(files: try TestDatabase.storageFiles(archive.system))
        #expect(haystack.count > 0)
        // Positive control: clear text the database does hold (an audited token name) is found.
        #expect(haystack.contains(Array("test capture".utf8)))

        var subjects = Set<[UInt8]>()
        var addresses = Set<[UInt8]>()
        var lines = Set<[UInt8]>()
        for (i, mail) in mails.enumerated() {
            if let subject = mail.header("Subject"), subject.count >= 10 { subjects.insert(subject) }
            for address in mail.addresses {
                addresses.insert(Array(address.utf8))
                addresses.insert(Array(address.lowercased().utf8))
            }
            if i % 7 == 0, lines.count < 400 {
                for line in mail.bodyLines.map(RawMail.trim) where line.count >= 20 && lines.count < 400 { lines.insert(line) }
            }
        }
        #expect(subjects.count > 1_000 && addresses.count > 1_000 && lines.count >= 300)
        for (kind, needles) in [("subject", subjects), ("address", addresses), ("body line", lines)] {
            let found = needles.filter { haystack.contains($0) }
            // Counts only: the test output must not quote the content it proves absent.
            #expect(found.isEmpty, "\(found.count) of \(needles.count) \(kind)s appear in clear in the database or its WAL")
        }
        let from = Set(mails.compactMap(\.sender))
        #expect(from.allSatisfy { !haystack.contains(Array($0.utf8)) }, "a sender address is in clear")
    }
}
