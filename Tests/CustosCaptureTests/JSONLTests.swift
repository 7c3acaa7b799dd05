@testable import CustosCapture
import Foundation
import Testing

/// Our JSON-lines format (docs/jsonl-format.md).
struct JSONLTests {
    private static func harvest(_ lines: [String]) throws -> (Harvest, String) {
        let folder = try Fixture.temporaryFolder()
        let path = try Fixture.write(Array(lines.joined(separator: "\n").utf8), named: "messages.jsonl", in: folder)
        let harvest = try Harvest(.jsonl, [path])
        try? FileManager.default.removeItem(at: folder)
        return (harvest, path)
    }

    @Test func readsValidLines() throws {
        let full = #"{"uid":"msg-1","platform":"WhatsApp","conversation":"chat-9","sent_at":"2021-03-04T05:06:07+02:00","from":{"address":"whatsapp:+15551234567","name":"Ann"},"to":[{"address":"Bob@Example.com","name":"Bob"}],"cc":[],"bcc":[{"address":"audit@example.com"}],"members":[{"address":"whatsapp:+15557654321"}],"text":"meet at noon","attachments":[{"name":"plan.pdf","media_type":"Application/PDF","size":10},{"name":"a.bin"}]}"#
        let minimal = #"{"platform":"sms","conversation":"c","sent_at":1600000000,"from":{"address":"sms:+15550000000"}}"#
        let fractional = #"{"platform":"sms","conversation":"c","sent_at":1600000000.9,"from":{"address":"sms:+15550000000"},"uid":"sms:given"}"#
        let (harvest, path) = try Self.harvest([full, "", "   ", minimal, fractional])
        #expect(harvest.errors.isEmpty, "errors: \(harvest.reasonSummary)")
        #expect(harvest.messages.count == 3)
        let first = try #require(harvest.messages.first)
        // A source's own id is never stored as given (issue 18, point 15): it is hashed, keyed for the purpose.
        #expect(first.uid.hasPrefix("whatsapp:") && first.uid.count == 9 + 64 && !first.uid.contains("msg-1"))
        #expect(first.uid == ContentID.uid(platform: "whatsapp", sourceID: "msg-1"))
        #expect(first.platform == "whatsapp" && first.conversation == "chat-9")
        #expect(first.sentAt == 1_614_827_167)
        #expect(first.participants == [
            Participant(address: "whatsapp:+15551234567", displayName: "Ann", part: .from),
            Participant(address: "bob@example.com", displayName: "Bob", part: .to, domain: "example.com"),
            Participant(address: "audit@example.com", part: .bcc, domain: "example.com"),
            Participant(address: "whatsapp:+15557654321", part: .member),
        ])
        #expect(first.attachmentCount == 2 && first.mediaTypes == ["application/octet-stream", "application/pdf"])
        #expect(first.content == Array(full.utf8))
        #expect(first.source == path + "#line-1")
        let second = harvest.messages[1]
        #expect(second.uid.hasPrefix("sms:") && second.uid.count == 4 + 64, "no uid: the content hash")
        #expect(second.source == path + "#line-4")
        // "sms:given" and "given" are the same source id, hashed the same way.
        #expect(harvest.messages[2].uid == ContentID.uid(platform: "sms", sourceID: "given") && harvest.messages[2].sentAt == 1_600_000_000)
        #expect(!harvest.messages[2].uid.contains("given"))
    }

    @Test func badLinesGiveReasonsWithLineNumbers() throws {
        let base = #""conversation":"c","sent_at":1600000000,"from":{"address":"a@b.com"}"#
        let lines = [
            "not json",
            "[1,2]",
            #"{"conversation":"c","sent_at":1,"from":{"address":"a@b.com"}}"#,
            #"{"platform":"E Mail",\#(base)}"#,
            #"{"platform":"email","sent_at":1600000000,"from":{"address":"a@b.com"}}"#,
            #"{"platform":"email","conversation":"c","sent_at":"yesterday","from":{"address":"a@b.com"}}"#,
            #"{"platform":"email","conversation":"c","sent_at":1600000000}"#,
            #"{"platform":"email","conversation":"c","sent_at":1600000000,"from":{"address":"  "}}"#,
            #"{"platform":"email",\#(base),"to":{"address":"x@y.com"}}"#,
            #"{"platform":"email",\#(base),"attachments":[{"media_type":"pdf"}]}"#,
            #"{"platform":"email",\#(base),"uid":""}"#,
            #"{"platform":"email","conversation":"c","sent_at":99999999999999,"from":{"address":"a@b.com"}}"#,
        ]
        let (harvest, path) = try Self.harvest(lines)
        #expect(harvest.messages.isEmpty)
        #expect(harvest.errors.map(\.reason) == [
            "line 1: not valid JSON",
            "line 2: not a JSON object but an array",
            "line 3: missing \"platform\"",
            "line 4: \"platform\" 'E Mail' must be a short lower-case name like email or slack",
            "line 5: missing or empty \"conversation\" (a string)",
            "line 6: \"sent_at\" 'yesterday' is not an RFC 3339 time with an offset",
            "line 7: missing \"from\"",
            "line 8: \"from.address\" is empty",
            "line 9: \"to\" must be an array",
            "line 10: \"attachments[0].media_type\" is not a media type like image/png",
            "line 11: \"uid\" must be a non-empty string of at most 512 bytes without control characters",
            "line 12: \"sent_at\" must be an RFC 3339 string or unix seconds between the years 1000 and 9999",
        ])
        #expect(harvest.errors.last?.source == path + "#line-12")
    }

    /// Nesting 100,000 arrays deep must not overflow the stack; the parser refuses it.
    @Test func deepNestingIsRefusedNotFatal() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let line = #"{"platform":"x","conversation":"c","sent_at":1,"from":{"address":"a@b.com"},"deep":"# + deep + "}"
        let (harvest, _) = try Self.harvest([line])
        #expect(harvest.errors.map(\.reason) == ["line 1: not valid JSON"])
    }
}
