import CustosCapture
import Foundation
import Testing

/// ContentReader on chat documents made by capture's own parsers from real exports (Slack,
/// RSMF) and from jsonl records; expected values are those of the source JSON.
struct ContentReaderChatTests {
    private static func value(_ message: ReadableMessage, _ name: String) -> String? {
        message.headers.first { $0.name == name }?.value
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func slackExport() throws {
        let harvest = try Harvest(.slack, [Corpus.path(Corpus.slackZip)])
        let messages = Dictionary(harvest.messages.map { ($0.sentAt, $0) }, uniquingKeysWith: { first, _ in first })

        // enrique/2016-01-15.json: {"user": "U0BMQB6JE", "text": "Nope. Just \"install\" the executor.", "ts": "1452845924.000009"}
        let plain = ContentReader.read(platform: "slack", content: try #require(messages[1_452_845_924]).content)
        #expect(plain.kind == .chat)
        #expect(plain.headers == [
            ReadableHeader(name: "Sender", value: "Hamza Faran (U0BMQB6JE)"),
            ReadableHeader(name: "Conversation", value: "enrique"),
            ReadableHeader(name: "Time", value: "2016-01-15T08:18:44Z"),
        ])
        #expect(plain.sender == "Hamza Faran" && plain.sentAt == 1_452_845_924)
        #expect(plain.body == "Nope. Just \"install\" the executor.")
        #expect(plain.bodyNote == nil && plain.problems.isEmpty && plain.attachments.isEmpty)

        // Slack escapes <, > and & in text: a quote starts with "&gt;" in the export.
        let quote = ContentReader.read(platform: "slack", content: try #require(messages[1_458_228_721]).content)
        #expect(quote.sender == "heroeshannibal")
        #expect(quote.body == ">\"Essentially what I'm getting from this is that SA is just a bad metaheuristic for us "
            + "to try and apply to huge problem set and to effectively parallelize\"\nso....what now then?")

        // traveling-sailor/2016-03-27.json: a file share of 10_cities.js (text/plain, 478 bytes).
        let share = ContentReader.read(platform: "slack", content: try #require(messages[1_459_105_865]).content)
        #expect(share.attachments == [ReadableAttachment(name: "10_cities.js", mediaType: "text/plain", size: 478)])
        #expect(share.sender == "Hermione Granger" && Self.value(share, "Conversation") == "traveling-sailor")

        // A GitHub integration posts with empty text; what it says is in its message attachments.
        let bot = ContentReader.read(platform: "slack", content: try #require(messages[1_454_895_098]).content)
        #expect(bot.sender == "B0JL6RASU")
        #expect(bot.body == "[enrique] The branch \"hfaran_problem\" was deleted by hfaran")
        #expect(bot.bodyNote == "Shown from the message's Slack attachments (the message text is empty).")

        for message in harvest.messages {
            let read = ContentReader.read(platform: message.platform, content: message.content)
            // A file comment has no "user": its sender is unknown, and the reader says so.
            let hasSender = message.participants.contains { $0.part == .from }
            #expect(read.sentAt == message.sentAt && (read.sender != nil) == hasSender)
            #expect(read.problems == (hasSender ? [] : ["the message names no sender"]))
            #expect(read.attachments.count == message.attachmentCount && !read.body.isEmpty)
        }
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func rsmfSamples() throws {
        let harvest = try Harvest(.rsmf, [Corpus.path(Corpus.rsmf)])
        // Sample2's event has no body; Sample3's says "This is body text.".
        #expect(harvest.messages.map { ContentReader.read(platform: $0.platform, content: $0.content).body }
            == ["", "This is body text."])
        for message in harvest.messages {
            // {"participant": "1", "timestamp": "2013-01-10T15:53:00", "conversation": "1", …}
            let read = ContentReader.read(platform: message.platform, content: message.content)
            #expect(read.headers == [
                ReadableHeader(name: "Sender", value: "Participant Name (1)"),
                ReadableHeader(name: "Conversation", value: "C1"),
                ReadableHeader(name: "Time", value: "2013-01-10T15:53:00Z"),
            ])
            #expect(read.sender == "Participant Name" && read.sentAt == 1_357_833_180 && read.problems.isEmpty)
        }
    }

    @Test func rsmfWithBodyParentAndAttachments() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = #"""
            {"version": "2.0.0",
             "participants": [{"id": "P1", "display": "Pat One", "email": "pat@example.com"}],
             "conversations": [{"id": "C1", "display": "Desk", "platform": "Microsoft Teams", "participants": ["P1"]}],
             "events": [{"id": "2", "type": "message", "participant": "P1", "conversation": "C1", "parent": "1",
                         "timestamp": "2020-02-03T04:05:06+01:00", "body": "quarterly\r\nnumbers\u0000",
                         "attachments": [{"id": "a1", "display": "numbers.xlsx", "size": 1234}, {"id": "a2", "display": "pic.PNG"}]}]}
            """#
        try Fixture.write(Array(manifest.utf8), named: "rsmf_manifest.json", in: folder)
        let message = try #require(try Harvest(.rsmf, [folder.path]).messages.first)
        let read = ContentReader.read(platform: message.platform, content: message.content)
        #expect(read.headers == [
            ReadableHeader(name: "Sender", value: "Pat One (P1)"),
            ReadableHeader(name: "Conversation", value: "Desk"),
            ReadableHeader(name: "Time", value: "2020-02-03T03:05:06Z"),
            ReadableHeader(name: "Parent", value: "1"),
        ])
        #expect(read.body == "quarterly\nnumbers", "CRLF becomes LF, NUL is dropped")
        #expect(read.attachments == [
            ReadableAttachment(name: "numbers.xlsx", mediaType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               size: 1234),
            ReadableAttachment(name: "pic.PNG", mediaType: "image/png", size: nil),
        ])
    }

    @Test func jsonlRecords() throws {
        let line = #"{"uid": "msg-1842", "platform": "whatsapp", "conversation": "group-77", "sent_at": "2021-03-04T05:06:07+02:00", "from": {"address": "whatsapp:+15551234567", "name": "Ann Example"}, "text": "Meet at noon.", "attachments": [{"name": "plan.pdf", "media_type": "application/pdf", "size": 48213}]}"#
        let email = #"{"platform": "email", "conversation": "t", "sent_at": 1600000000, "from": {"address": "a@example.com"}, "text": "hi", "thread": "t-1"}"#
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try Fixture.write(Array((line + "\n" + email).utf8), named: "m.jsonl", in: folder)
        let harvest = try Harvest(.jsonl, [path])
        #expect(harvest.messages.count == 2)
        let whatsapp = ContentReader.read(platform: harvest.messages[0].platform, content: harvest.messages[0].content)
        #expect(whatsapp.headers == [
            ReadableHeader(name: "Sender", value: "Ann Example (whatsapp:+15551234567)"),
            ReadableHeader(name: "Conversation", value: "group-77"),
            ReadableHeader(name: "Time", value: "2021-03-04T03:06:07Z"),
        ])
        #expect(whatsapp.sender == "Ann Example" && whatsapp.sentAt == 1_614_827_167 && whatsapp.body == "Meet at noon.")
        #expect(whatsapp.attachments == [ReadableAttachment(name: "plan.pdf", mediaType: "application/pdf", size: 48213)])
        // A jsonl record with platform "email" is a JSON record, not RFC 5322.
        let record = ContentReader.read(platform: "email", content: harvest.messages[1].content)
        #expect(record.kind == .chat && record.sender == "a@example.com" && record.body == "hi")
        #expect(record.headers.map(\.name) == ["Sender", "Conversation", "Time", "Thread"])
    }

    @Test func contentThatIsNotAChatDocument() {
        var bytes = Array("not json \u{1}at all".utf8)
        bytes.append(0xFF)
        let read = ContentReader.read(platform: "teams", content: bytes)
        #expect(read.kind == .chat && read.body == "not json at all\u{FFFD}")
        #expect(read.problems == ["the content is not a JSON chat document; shown as raw text"])
        let array = ContentReader.read(platform: "teams", content: Array("[1, 2]".utf8))
        #expect(array.body == "[1, 2]" && array.problems.count == 1)
        let odd = ContentReader.read(platform: "sms", content: Array(#"{"text": {"a": 1}, "sent_at": "yesterday"}"#.utf8))
        #expect(odd.body == #"{"a":1}"#)
        #expect(odd.problems == [
            "the message names no sender", "the message has no readable time",
            "the message text is an object, not a string; shown as JSON",
        ])
    }
}
