import CustosCapture
import Foundation
import Testing

/// Slack exports: the slack-export-viewer test archive (zip and unpacked) and hand-made cases.
struct SlackTests {
    /// Messages per channel in testarchive.zip, counted with Python's zipfile and json modules.
    private static let expectedPerChannel = ["slack:C0JGLMMNX": 102, "slack:C0JL6CGQ2": 56]

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func testArchiveZip() throws {
        let harvest = try Harvest(.slack, [Corpus.path(Corpus.slackZip)])
        #expect(harvest.errors.isEmpty, "errors: \(harvest.reasonSummary)")
        var perChannel: [String: Int] = [:]
        for message in harvest.messages { perChannel[message.conversation, default: 0] += 1 }
        #expect(perChannel == Self.expectedPerChannel)
        #expect(harvest.messages.allSatisfy { $0.platform == "slack" && $0.uid.hasPrefix("slack:") })
        #expect(Set(harvest.messages.map(\.uid)).count == harvest.messages.count)
        // Every channel has the same four members; senders are users or bots.
        #expect(harvest.messages.allSatisfy { $0.participants.filter { $0.part == .member }.count == 4 })
        let harry = harvest.messages.flatMap(\.participants).first { $0.address == "slack:U0BMYT2FL" }
        #expect(harry?.displayName == "Harry Potter" && harry?.domain == nil)
        let withFiles = harvest.messages.filter { $0.attachmentCount > 0 }
        #expect(withFiles.count == 4)
        #expect(withFiles.allSatisfy { $0.mediaTypes == ["text/plain"] })
        let first = try #require(harvest.messages.first)
        #expect(first.sentAt == 1_452_837_318)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(first.content)) as? [String: Any])
        #expect(document["time"] as? String == "2016-01-15T05:55:18Z")
        #expect((document["conversation"] as? [String: Any])?["name"] as? String == "enrique")
        let again = try Harvest(.slack, [Corpus.path(Corpus.slackZip)])
        #expect(again.messages.map(\.uid) == harvest.messages.map(\.uid), "same export, same uids")
    }

    /// The unpacked export reads the same as the zip, and per-channel counts equal the number of
    /// entries in each channel's day files counted here with JSONSerialization.
    @Test(.enabled(if: Corpus.isAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/unzip"),
                   "needs the corpus and /usr/bin/unzip"))
    func unpackedExportMatchesZip() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/usr/bin/unzip")
        unzip.arguments = ["-q", Corpus.path(Corpus.slackZip), "-d", folder.path]
        try unzip.run()
        unzip.waitUntilExit()
        try #require(unzip.terminationStatus == 0)
        var counted: [String: Int] = [:]
        for channel in ["enrique", "traveling-sailor"] {
            let days = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/" + channel)
            for day in days {
                let data = try Data(contentsOf: folder.appendingPathComponent(channel + "/" + day))
                counted[channel, default: 0] += (try JSONSerialization.jsonObject(with: data) as? [Any])?.count ?? 0
            }
        }
        #expect(counted == ["enrique": 102, "traveling-sailor": 56])
        let unpacked = try Harvest(.slack, [folder.path])
        let zipped = try Harvest(.slack, [Corpus.path(Corpus.slackZip)])
        #expect(unpacked.errors.isEmpty)
        #expect(unpacked.messages.map(\.uid) == zipped.messages.map(\.uid))
    }

    @Test func handMadeExport() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ text: String, _ name: String) throws {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        // No users.json: not a Slack export.
        #expect(try Harvest(.slack, [folder.path]).errors.map(\.reason) == ["not a Slack export: users.json missing"])
        try write(#"[{"id":"U1","name":"ann","profile":{"real_name":"Ann Example"}}]"#, "users.json")
        try write(#"[{"id":"D42","members":["U1","U2"]}]"#, "dms.json")
        try write(#"""
            [{"type":"message","user":"U1","text":"secret words","ts":"1500000000.000100",
              "files":[{"name":"plan.pdf","mimetype":"application/PDF","size":10},{"name":"x","size":1}]},
             {"type":"message","subtype":"bot_message","bot_id":"B9","username":"deploybot","text":"hi","ts":"1500000001.1"},
             {"type":"message","user":"U2","text":"no ts"},
             "not an object"]
            """#, "D42/2017-07-14.json")
        try write("{ broken", "D42/2017-07-15.json")
        let harvest = try Harvest(.slack, [folder.path])
        #expect(harvest.messages.count == 2)
        let first = try #require(harvest.messages.first)
        #expect(first.conversation == "slack:D42")
        #expect(first.attachmentCount == 2)
        #expect(first.mediaTypes == ["application/octet-stream", "application/pdf"])
        #expect(first.participants.map(\.address) == ["slack:U1", "slack:U1", "slack:U2"])
        #expect(first.participants.first?.displayName == "Ann Example")
        #expect(harvest.messages[1].participants.first?.address == "slack:B9")
        #expect(harvest.errors.map(\.reason) == [
            "message has no valid \"ts\" timestamp", "message is a string, not a JSON object", "day file is not valid JSON",
        ])
        #expect(harvest.errors.first?.source == folder.path + "#D42/2017-07-14.json#item-3")
        // Attachment names and text are content: they are in the document, never in the metadata.
        let text = String(decoding: first.content, as: UTF8.self)
        #expect(text.contains("plan.pdf") && text.contains("secret words"))
    }
}
