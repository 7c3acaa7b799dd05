import CustosCapture
import Foundation
import Testing

/// mbox splitting against MimeKit's mboxes and the offsets MimeKit's parser recorded for them.
struct MboxTests {
    /// One message of MimeKit's `*.unix-offsets.json`: where its bytes start and end in the file.
    private struct Offsets: Decodable {
        var beginOffset: Int
        var endOffset: Int
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage), arguments: ["content-length", "issue1189"])
    func splitsExactlyWhereMimeKitDoes(name: String) throws {
        let folder = Corpus.path(Corpus.mimekitMbox)
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).mbox.txt")))
        let oracle = try JSONDecoder().decode(
            [Offsets].self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).unix-offsets.json")))
        let harvest = try Harvest(.mbox, ["\(folder)/\(name).mbox.txt"])
        #expect(harvest.errors.isEmpty, "errors: \(harvest.reasonSummary)")
        #expect(harvest.messages.count == oracle.count)
        for (message, expected) in zip(harvest.messages, oracle) {
            #expect(message.content == Array(file[expected.beginOffset..<expected.endOffset]), "\(message.source)")
        }
    }

    /// issue1189-summary.txt: message 2 is multipart/mixed with a zip beside its alternative body.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func attachmentsMatchMimeKitSummaries() throws {
        let messages = try Harvest(.mbox, [Corpus.path(Corpus.mimekitMbox + "/issue1189.mbox.txt")]).messages
        #expect(messages.map(\.attachmentCount) == [0, 1, 0, 0])
        #expect(messages[1].mediaTypes == ["application/x-zip-compressed"])
        #expect(messages.allSatisfy { $0.participants.map(\.address) == ["sender@example.com", "recipient@example.com"] })
        // content-length-summary.txt: message 2 holds 4 GIFs and 3 attached messages (one nesting two more).
        let jwz = try Harvest(.mbox, [Corpus.path(Corpus.mimekitMbox + "/content-length.mbox.txt")]).messages
        #expect(jwz.count == 29)
        #expect(jwz[1].mediaTypes == ["image/gif", "message/rfc822"])
        #expect(jwz[1].attachmentCount == 7)
    }

    /// simple.mbox.txt nests multiparts whose boundaries are prefixes of each other, or empty.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func survivesPathologicalBoundaries() throws {
        let harvest = try Harvest(.mbox, [Corpus.path(Corpus.mimekitMbox + "/simple.mbox.txt")])
        #expect(harvest.messages.count == 3)
        #expect(harvest.errors.isEmpty)
        #expect(harvest.messages.allSatisfy { $0.sentAt == 1_030_084_373 })
    }

    /// unmunged.mbox.txt: "From Russia with love" in a body is a separator for mboxo readers,
    /// as MimeKit's own test expects (4 messages); the fragments come back as clear errors.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func unescapedFromLinesSplitLikeMimeKit() throws {
        let harvest = try Harvest(.mbox, [Corpus.path(Corpus.mimekitMbox + "/unmunged.mbox.txt")])
        #expect(harvest.messages.count + harvest.errors.count == 4)
        #expect(harvest.errors.allSatisfy { $0.source.contains("#item-") && !$0.reason.isEmpty })
    }

    @Test func fallsBackToTheEnvelopeDateAndRejectsNonMbox() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let mbox = "From alice@example.com Mon Jun  3 12:50:27 1996\nFrom: alice@example.com\n\nhi\n"
            + "From bob@example.com Tue Jun  4 12:50:27 1996\r\nFrom: bob@example.com\r\nDate: Wed, 5 Jun 1996 00:00:00 +0000\r\n\r\n>From the start\r\n"
        let path = try Fixture.write(Array(mbox.utf8), named: "box.mbox", in: folder)
        let messages = try Harvest(.mbox, [path]).messages
        #expect(messages.map(\.sentAt) == [833_806_227, 833_932_800])
        #expect(messages.map(\.source) == ["\(path)#item-1", "\(path)#item-2"])
        #expect(String(decoding: messages[1].content, as: UTF8.self).hasSuffix(">From the start\r\n"))
        let other = try Fixture.write(Array("Subject: not an mbox\n".utf8), named: "notes.txt", in: folder)
        let harvest = try Harvest(.mbox, [other])
        #expect(harvest.errors.map(\.reason) == ["not an mbox file: it does not start with a 'From ' line"])
        // In a folder, files that are not mboxes are passed over.
        #expect(try Harvest(.mbox, [folder.path]).messages.count == 2)
    }

    /// The whole MimeKit mbox folder: mboxes (and the summaries, which are mbox-shaped) are read,
    /// the JSON and HTML files beside them are passed over.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func wholeFolder() throws {
        let harvest = try Harvest(.mbox, [Corpus.path(Corpus.mimekitMbox)])
        #expect(harvest.messages.count + harvest.errors.count >= 29 + 4 + 3 + 4)
        #expect(harvest.errors.allSatisfy { $0.source.contains("unmunged.mbox.txt#item-") })
    }
}
