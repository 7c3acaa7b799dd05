import CustosCapture
import CustosCaptureClient
import CustosCore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The Enron sample captured once (in-process: parse, seal, ingest) and shared by the search tests.
enum EnronArchive {
    static let maildir = Harness.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/enron/maildir").path
    static var available: Bool { FileManager.default.fileExists(atPath: maildir) }
    static let shared = Task { () throws -> ArchiveFixture in
        let f = try await ArchiveFixture.make()
        let token = try require(try f.harness.system.captureTokens.authenticate(f.token))
        let writer = EnvelopeWriter(publicKey: f.publicKey)
        var batch: [IngestItem] = []
        for result in try CaptureReader(format: .maildir, paths: [maildir]) {
            batch.append(try writer.item(for: try result.get()))
            if batch.count == 500 {
                _ = try f.harness.system.ingest.ingest(batch, token: token, client: "test")
                batch.removeAll()
            }
        }
        if !batch.isEmpty { _ = try f.harness.system.ingest.ingest(batch, token: token, client: "test") }
        return f
    }

    /// Independent reading of the raw files: unfolded headers, addresses by a plain regex.
    struct RawMessage {
        var from: String
        var recipients: Set<String>
        var sentAt: Int64
    }

    static let raw: [RawMessage] = {
        var out: [RawMessage] = []
        let fm = FileManager.default
        for case let path as String in fm.enumerator(atPath: maildir) ?? FileManager.DirectoryEnumerator() {
            let full = maildir + "/" + path
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue, let data = fm.contents(atPath: full) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            let head = text.components(separatedBy: "\n\n").first ?? ""
            var headers: [(String, String)] = []
            for line in head.components(separatedBy: "\n") {
                if line.first == " " || line.first == "\t", !headers.isEmpty { headers[headers.count - 1].1 += " " + line.trimmingCharacters(in: .whitespaces) }
                else if let colon = line.firstIndex(of: ":") { headers.append((line[..<colon].lowercased(), String(line[line.index(after: colon)...]))) }
            }
            func addresses(_ name: String) -> [String] {
                headers.filter { $0.0 == name }.flatMap { h in h.1.matches(of: /[A-Za-z0-9._%+'\-]+@[A-Za-z0-9.\-]+/).map { String($0.output).lowercased() } }
            }
            guard let from = addresses("from").first, let date = headers.first(where: { $0.0 == "date" })?.1 else { continue }
            out.append(RawMessage(from: from, recipients: Set(addresses("to") + addresses("cc") + addresses("bcc")), sentAt: parseDate(date)))
        }
        return out
    }()

    /// "Mon, 14 May 2001 16:39:00 -0700 (PDT)" → unix seconds; two-digit-or-less years are 2000s, as the parser reads them.
    static func parseDate(_ s: String) -> Int64 {
        let parts = s.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
        guard let dayIndex = parts.firstIndex(where: { Int($0) != nil }), parts.count > dayIndex + 4,
              let day = Int(parts[dayIndex]), var year = Int(parts[dayIndex + 2]) else { return -1 }
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        guard let month = months.firstIndex(of: parts[dayIndex + 1].lowercased().prefix(3).description) else { return -1 }
        if year < 100 { year += 2000 }
        let hms = parts[dayIndex + 3].split(separator: ":").compactMap { Int($0) }
        let zone = parts[dayIndex + 4]
        let sign = zone.hasPrefix("-") ? -1 : 1
        let zdigits = Int(zone.dropFirst()) ?? 0
        let offset = sign * ((zdigits / 100) * 3600 + (zdigits % 100) * 60)
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (year, month + 1, day, hms[0], hms[1], hms.count > 2 ? hms[2] : 0)
        c.timeZone = TimeZone(identifier: "UTC")
        let utc = Calendar(identifier: .gregorian).date(from: c)!.timeIntervalSince1970
        return Int64(utc) - Int64(offset)
    }
}

/// Search over the captured Enron sample: counts match an independent reading of the raw files,
/// every search and export is audited, input is validated, and nothing is echoed unescaped.
@Suite(.serialized, .enabled(if: EnronArchive.available, "shared/corpus/enron is absent; skipping Enron search tests"))
struct SearchTests {
    func count(_ f: ArchiveFixture, _ params: [(String, String)]) throws -> Int {
        try f.harness.system.search.search(try SearchQuery.parse(params), actor: .system("test")).total
    }

    @Test func countsMatchAnIndependentReadingOfTheFiles() async throws {
        let f = try await EnronArchive.shared.value
        let raw = EnronArchive.raw
        #expect(raw.count == 3110)
        #expect(try count(f, []) == raw.count)
        let senders = Dictionary(grouping: raw, by: \.from).sorted { $0.value.count > $1.value.count }
        for (sender, msgs) in senders.prefix(5) + senders.suffix(3) {
            #expect(try count(f, [("participant", sender), ("part", "from")]) == msgs.count, "from \(sender)")
        }
        let recipient = "louise.kitchen@enron.com"
        #expect(try count(f, [("participant", recipient), ("part", "to")]) > 0)
        let anyPart = raw.filter { $0.from == recipient || $0.recipients.contains(recipient) }.count
        #expect(try count(f, [("participant", recipient)]) == anyPart)
        // Domain: any participant at the domain.
        for domain in ["enron.com", "aol.com"] {
            let expected = raw.filter { m in ([m.from] + m.recipients).contains { $0.hasSuffix("@" + domain) } }.count
            #expect(try count(f, [("domain", domain)]) == expected, "domain \(domain)")
        }
        // Date range (UTC days, To date included) and a combination with a sender.
        let lo = try SearchQuery.day("2001-06-01", ""), hi = try SearchQuery.day("2001-06-30", "") + 86_400
        #expect(try count(f, [("after", "2001-06-01"), ("before", "2001-06-30")]) == raw.filter { $0.sentAt >= lo && $0.sentAt < hi }.count)
        let top = senders[0].key
        #expect(try count(f, [("participant", top), ("part", "from"), ("after", "2001-06-01"), ("before", "2001-06-30")])
                == raw.filter { $0.from == top && $0.sentAt >= lo && $0.sentAt < hi }.count)
    }

    @Test func keysetPagingWalksEveryResultOnceInOrder() async throws {
        let f = try await EnronArchive.shared.value
        var q = try SearchQuery.parse([("domain", "enron.com")])
        var seen: [Int64] = []
        var times: [Int64] = []
        var total = 0
        while true {
            let page = try f.harness.system.search.search(q, actor: .system("test"))
            total = page.total
            seen += page.hits.map(\.id)
            times += page.hits.map(\.sentAt)
            guard let next = page.next else { break }
            q.cursor = next
        }
        #expect(seen.count == total && Set(seen).count == seen.count)
        #expect(times == times.sorted(by: >))
    }

    @Test func everySearchAndExportIsAuditedWithoutNamingParticipantsInClear() async throws {
        let f = try await EnronArchive.shared.value
        let system = f.harness.system
        let before = try system.archive.read { try $0.audit.count(action: AuditAction.searchRun.rawValue) }
        let q = try SearchQuery.parse([("participant", "sally.beck@enron.com"), ("platform", "email")])
        let page = try system.search.search(q, actor: Actor(userID: nil, username: "aude", role: .auditor, client: "t"))
        let export = try system.search.exportCSV(q, actor: Actor(userID: nil, username: "aude", role: .auditor, client: "t"))
        #expect(export.rows == page.total)
        #expect(export.csv.components(separatedBy: "\r\n").count == page.total + 2)
        let runs = try system.archive.read { try $0.audit.entries(action: AuditAction.searchRun.rawValue) }
        #expect(runs.count == before + 1)
        let last = try #require(runs.last)
        #expect(last.actor == "aude" && last.role == "auditor")
        #expect(last.details.contains("\"results\":\"\(page.total)\"") && last.details.contains("\"platform\":\"email\""))
        #expect(!last.details.contains("sally.beck"))
        #expect(last.details.contains("named_filters_sealed"))
        let exported = try #require(try system.archive.read { try $0.audit.entries(action: AuditAction.searchExported.rawValue) }.last)
        #expect(exported.details.contains("\"results\":\"\(export.rows)\""))
    }

    @Test func searchPageAuthorisationValidationAndEscaping() async throws {
        let f = try await EnronArchive.shared.value
        let h = f.harness
        let auditor = try await h.person("aude\(Int.random(in: 1000...9999))", roles: [.auditor])
        let sec = try await h.person("sec\(Int.random(in: 1000...9999))", roles: [.security])
        try await h.run(cleanup: false) { client in
            let b = Browser(client)
            try await b.signIn(auditor.user.username, auditor.password)
            let ok = try await b.get("/search?participant=sally.beck%40enron.com")
            #expect(ok.status == .ok)
            let total = try #require(ok.text.firstMatch(of: /id="result-count">(\d+)</)?.1)
            #expect(Int(total)! > 0)
            #expect(ok.text.contains("href=\"/messages/"))
            for bad in ["platform=fax", "after=2001-02-30", "after=2002-01-01&before=2001-01-01", "platform=%3Cscript%3E", "nonsense=1",
                        "participant=" + String(repeating: "x", count: 600)] {
                let r = try await b.get("/search?" + bad)
                #expect(r.status == .badRequest, "\(bad)")
                #expect(!r.text.contains("<script>"))
            }
            let xss = try await b.get("/search?participant=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            #expect(xss.status == .ok && !xss.text.contains("<script>alert") && xss.text.contains("&lt;script&gt;"))
            let s = Browser(client)
            try await s.signIn(sec.user.username, sec.password)
            let refused = try await s.get("/search")
            #expect(refused.status == .forbidden)
            #expect(refused.text.contains("id=\"sign-out\""), "an error page keeps the signed-in header")
            #expect(try await s.get("/messages/1").status == .forbidden)
        }
    }
}
