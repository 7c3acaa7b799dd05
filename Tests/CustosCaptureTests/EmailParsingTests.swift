import CustosCapture
import Foundation
import Testing

/// Header and address parsing on hand-made messages, through the public reader.
struct EmailParsingTests {
    /// Captures one message written to a temporary .eml file.
    static func capture(_ text: String) throws -> Result<CapturedMessage, CaptureItemError> {
        try capture(bytes: Array(text.utf8))
    }

    static func capture(bytes: [UInt8]) throws -> Result<CapturedMessage, CaptureItemError> {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try Fixture.write(bytes, named: "message.eml", in: folder)
        let results = Array(try CaptureReader(format: .eml, paths: [path]))
        try #require(results.count == 1)
        return results[0]
    }

    static func message(_ text: String) throws -> CapturedMessage {
        try capture(text).get()
    }

    private static let date = "Date: Mon, 14 May 2001 16:39:00 -0700 (PDT)\n"

    @Test func decodesEncodedWordDisplayNames() throws {
        let message = try Self.message(Self.date + """
            From: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>
            To: =?UTF-8?B?w6lsw6h2ZQ==?= <e@x.org>, =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
            Cc: "=?windows-1252?Q?Caf=E9_=93Bar=94?=" <c@x.org>, =?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?= <ab@x.org>
            Subject: hello

            body
            """)
        let names = message.participants.map { $0.displayName ?? "" }
        #expect(names == ["Keld Jørn Simonsen", "élève", "André Pirard", "Café “Bar”", "ab"])
        #expect(message.participants.map(\.address)
            == ["keld@dkuug.dk", "e@x.org", "pirard@vm1.ulg.ac.be", "c@x.org", "ab@x.org"])
        #expect(message.participants.map(\.domain) == ["dkuug.dk", "x.org", "vm1.ulg.ac.be", "x.org", "x.org"])
    }

    @Test func parsesHardAddressLists() throws {
        let message = try Self.message(Self.date + """
            From: "Doe, John" <John.Doe@Example.COM>
            To: undisclosed-recipients:;, MAILER DAEMON <>, Bob <bob@j.com>
            Cc: a@b.com (Anne Bee), Team: c@d.com, "Quoted, Name" <e@f.com>;, Last, First <lf@g.com>
            Bcc: <@relay.example:routed@h.com>, plain@i.com
            Subject: x

            body
            """)
        #expect(message.participants == [
            Participant(address: "john.doe@example.com", displayName: "Doe, John", part: .from, domain: "example.com"),
            Participant(address: "bob@j.com", displayName: "Bob", part: .to, domain: "j.com"),
            Participant(address: "a@b.com", displayName: "Anne Bee", part: .cc, domain: "b.com"),
            Participant(address: "c@d.com", displayName: nil, part: .cc, domain: "d.com"),
            Participant(address: "e@f.com", displayName: "Quoted, Name", part: .cc, domain: "f.com"),
            Participant(address: "lf@g.com", displayName: "Last, First", part: .cc, domain: "g.com"),
            Participant(address: "routed@h.com", displayName: nil, part: .bcc, domain: "h.com"),
            Participant(address: "plain@i.com", displayName: nil, part: .bcc, domain: "i.com"),
        ])
    }

    @Test func ordersAndDeduplicatesParticipants() throws {
        let message = try Self.message("""
            Cc: x@y.com, X@Y.com
            To: a@b.com
            From: a@b.com
            To: x@y.com, a@b.com
            """ + "\n" + Self.date + "\nbody\n")
        #expect(message.participants.map { "\($0.part.rawValue):\($0.address)" }
            == ["from:a@b.com", "to:a@b.com", "to:x@y.com", "cc:x@y.com"])
    }

    @Test func threadRootFollowsReferencesThenInReplyToThenMessageID() throws {
        let base = Self.date + "From: a@b.com\n"
        let withReferences = try Self.message(base + """
            Message-ID: <own@x>
            In-Reply-To: <parent@x>
            References: <root@x>
             <parent@x>

            body
            """)
        #expect(withReferences.conversation == "<root@x>")
        #expect(try Self.message(base + "Message-ID: <own@x>\nIn-Reply-To: <parent@x>\n\nbody").conversation == "<parent@x>")
        #expect(try Self.message(base + "Message-ID: <own@x>\n\nbody").conversation == "<own@x>")
        let orphan = try Self.message(base + "\nbody")
        #expect(orphan.conversation == orphan.uid)
    }

    @Test func contentIsExactlyTheBytesAndUIDIsItsHash() throws {
        let text = Self.date.replacingOccurrences(of: "\n", with: "\r\n") + "From: a@b.com\r\nSubject: s\r\n\r\nbody\r\n"
        let message = try Self.message(text)
        #expect(message.content == Array(text.utf8))
        #expect(message.size == text.utf8.count)
        #expect(message.uid.hasPrefix("email:") && message.uid.count == "email:".count + 64)
        #expect(message.sentAt == 989_883_540)
        #expect(try Self.message(text).uid == message.uid)
        #expect(try Self.message(text + " ").uid != message.uid)
    }

    @Test func missingOrBadDateIsAClearError() throws {
        let missing = try Self.capture("From: a@b.com\nSubject: no date\n\nbody\n")
        #expect(missing.failureReason?.hasPrefix("no Date header") == true)
        let bad = try Self.capture("From: a@b.com\nDate: someday soon\n\nbody\n")
        #expect(bad.failureReason == "Date header 'someday soon' is not a valid RFC 5322 date")
        let received = try Self.message("""
            Received: from mx by host; Tue, 1 Jul 2003 10:52:37 +0200
            Received: from older by mx; Tue, 1 Jul 2003 09:00:00 +0200
            From: a@b.com

            body
            """)
        #expect(received.sentAt == 1_057_049_557)
    }

    @Test func rejectsEmptyAndHeaderlessFiles() throws {
        #expect(try Self.capture(bytes: []).failureReason == "empty: not an RFC 5322 message")
        #expect(try Self.capture("just some text\nwithout headers\n").failureReason
            == "no header fields found: not an RFC 5322 message")
    }

    @Test func refusesMessagesOverFiftyMegabytes() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try Fixture.write(Array((Self.date + "From: a@b.com\n\n").utf8), named: "big.eml", in: folder)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 50 * 1024 * 1024 + 1)  // sparse: cheap to make
        try handle.close()
        let results = Array(try CaptureReader(format: .eml, paths: [path]))
        #expect(results.count == 1)
        #expect(results.first?.failureReason?.contains("over the 50 MB limit") == true)
    }

    @Test func missingPathsThrow() {
        #expect(throws: CaptureItemError.self) { try CaptureReader(format: .eml, paths: ["/no/such/custos/file.eml"]) }
        #expect(throws: CaptureItemError.self) { try CaptureReader(format: .eml, paths: []) }
    }
}

extension Result where Failure == CaptureItemError {
    /// The reason of a failure, nil on success.
    var failureReason: String? {
        if case .failure(let error) = self { return error.reason }
        return nil
    }
}
