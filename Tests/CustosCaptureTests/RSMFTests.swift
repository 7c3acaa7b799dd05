import CustosCapture
import Foundation
import Testing

/// RSMF 1.0 / 2.0: Relativity's validator samples and a hand-made manifest.
struct RSMFTests {
    /// The samples as Relativity's validator walkthrough describes them: 1 and 4 fail schema
    /// validation (a participant without id; an id that is a number), 2 passes with a warning,
    /// 3 has an extra EML attachment, which capture accepts because its rsmf.zip is unambiguous.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func validatorSamples() throws {
        let harvest = try Harvest(.rsmf, [Corpus.path(Corpus.rsmf)])
        #expect(harvest.messages.map { URL(fileURLWithPath: $0.source).lastPathComponent }
            == ["rsmf.zip#event-1", "sample.rsmf#event-1"])
        #expect(harvest.errors.map(\.reason) == [
            "invalid RSMF manifest: participants[0] has no \"id\" (required by the schema)",
            "invalid RSMF manifest: participants[0].id must be a string, not a number",
        ])
        #expect(harvest.errors.map { URL(fileURLWithPath: $0.source).deletingLastPathComponent().lastPathComponent }
            == ["Sample1", "Sample4"])
        for message in harvest.messages {
            #expect(message.platform == "skype")
            #expect(message.conversation == "skype:1")
            #expect(message.sentAt == 1_357_833_180)  // 2013-01-10T15:53:00, no offset: UTC
            #expect(message.participants.map(\.part) == [.from, .member])
            #expect(message.participants.first?.displayName == "Participant Name")
        }
        // message.eml carries the same manifest as sample.rsmf (X-RSMF-EventCount: 1): same event, same uid.
        let eml = try Harvest(.rsmf, [Corpus.path(Corpus.rsmf + "/Sample3/message.eml")])
        #expect(eml.messages.count == 1)
        #expect(eml.messages.first?.uid == harvest.messages.last?.uid)
    }

    @Test func handMadeManifest() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = #"""
            {"version": "2.0.0",
             "participants": [{"id": "P1", "display": "Pat One", "email": "Pat@Example.com"},
                              {"id": "P2", "display": "Sam Two", "account_id": "+15551234567"}],
             "conversations": [{"id": "C1", "display": "Desk", "platform": "Microsoft Teams", "type": "channel",
                                "participants": ["P1", "P2"]},
                               {"id": "C2", "platform": "WhatsApp", "participants": ["P2"]}],
             "events": [
               {"id": "1", "type": "message", "participant": "P1", "conversation": "C1",
                "timestamp": "2020-02-03T04:05:06+01:00", "body": "quarterly numbers",
                "attachments": [{"id": "a1", "display": "numbers.xlsx", "size": 1234}, {"id": "a2", "display": "pic.PNG"}]},
               {"type": "join", "participant": "P2", "conversation": "C2", "timestamp": "2020-02-03T05:00:00Z"},
               {"type": "message", "participant": "P2", "conversation": "C2"},
               {"type": "message", "participant": "P2", "conversation": "C9", "timestamp": "2020-02-03T05:00:00Z"},
               42
             ]}
            """#
        try Data(manifest.utf8).write(to: folder.appendingPathComponent("rsmf_manifest.json"))
        let harvest = try Harvest(.rsmf, [folder.path])
        #expect(harvest.messages.count == 2)
        let teams = try #require(harvest.messages.first)
        #expect(teams.platform == "teams" && teams.conversation == "teams:C1")
        #expect(teams.sentAt == 1_580_699_106)
        #expect(teams.attachmentCount == 2)
        #expect(teams.mediaTypes == ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "image/png"])
        #expect(teams.participants == [
            Participant(address: "pat@example.com", displayName: "Pat One", part: .from, domain: "example.com"),
            Participant(address: "pat@example.com", displayName: "Pat One", part: .member, domain: "example.com"),
            Participant(address: "teams:+15551234567", displayName: "Sam Two", part: .member, domain: nil),
        ])
        let join = harvest.messages[1]
        #expect(join.platform == "whatsapp" && join.participants.first?.address == "whatsapp:+15551234567")
        #expect(harvest.errors.map(\.reason) == [
            "event has no \"timestamp\": an archive cannot index it without a time",
            "event refers to conversation 'C9', which the manifest does not define",
            "event is a number, not an object",
        ])
        #expect(harvest.errors.first?.source == folder.path + "#event-3")
        let document = String(decoding: teams.content, as: UTF8.self)
        #expect(document.contains("quarterly numbers") && document.contains("numbers.xlsx"))
    }

    @Test func notRSMF() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let eml = try Fixture.write(Array("From: a@b.com\nSubject: x\n\nbody\n".utf8), named: "x.rsmf", in: folder)
        let json = try Fixture.write(Array("[1,2]".utf8), named: "rsmf_manifest.json", in: folder)
        #expect(try Harvest(.rsmf, [eml]).errors.map(\.reason) == ["not an RSMF file: no rsmf.zip attachment"])
        #expect(try Harvest(.rsmf, [json]).errors.map(\.reason)
            == ["invalid RSMF manifest: rsmf_manifest.json is an array, not an object"])
    }
}
