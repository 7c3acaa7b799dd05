import CustosCapture
import Foundation
import Testing

/// ContentReader on real mail: Enron, CPython's and MimeKit's edge cases, and hand-made MIME
/// for what the corpus lacks (RFC 2231 names, scripts in HTML). Expected values were read from
/// the files themselves (and cross-checked with Python's email package).
struct ContentReaderTests {
    static func file(_ relative: String) throws -> ReadableMessage {
        let data = try Data(contentsOf: URL(fileURLWithPath: Corpus.path(relative)))
        return ContentReader.read(platform: "email", content: Array(data))
    }

    static func email(_ text: String) -> ReadableMessage {
        ContentReader.read(platform: "email", content: Array(text.utf8))
    }

    static func value(_ message: ReadableMessage, _ name: String) -> String? {
        message.headers.first { $0.name == name }?.value
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func enronHeadersWithEncodedSubject() throws {
        let message = try Self.file("enron/maildir/kitchen-l/inbox/27")
        #expect(message.kind == .email)
        #expect(message.headers == [
            ReadableHeader(name: "From", value: "judy.jones@us.pwcglobal.com"),
            ReadableHeader(name: "To", value: "louise.kitchen@enron.com"),
            ReadableHeader(name: "Date", value: "Wed, 6 Feb 2002 13:01:04 -0800 (PST)"),
            // Two folded Q-encoded words in the ANSI_X3.4-1968 charset, "=3F" a question mark.
            ReadableHeader(name: "Subject", value: "Important Information from PricewaterhouseCoopers IAS for ?Louise? Kitchen"),
        ])
        #expect(message.body.hasPrefix("Dear  Louise :\nIn a separate note we have provided the User Name"))
        #expect(message.bodyNote == nil && message.problems.isEmpty && message.attachments.isEmpty)
        #expect(message.sender == nil && message.sentAt == nil)
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func enronQuotedPrintableBody() throws {
        let message = try Self.file("enron/maildir/kitchen-l/inbox/5")
        #expect(Self.value(message, "Subject") == "Gold Card Events - THOROUGHLY MODERN MILLIE ON BROADWAY")
        #expect(Self.value(message, "From") == "461052.129113116.2@1.americanexpress.com")
        // "=20" keeps a space, "=" at a line end joins lines, "hottest =" keeps its space.
        #expect(message.body.hasPrefix("[IMAGE]\n \n  [IMAGE] American Express Gold Card Events  [IMAGE]  Dear Louise:  "
            + "American Express\n Gold Card Events offers you prime tickets to some of the nation's hottest entertainment "
            + "events, an exclusive benefit for American Express Gold Card, Platinum Card\n, Centurion\n Card,"))
        #expect(!message.body.contains("=\n") && !message.body.contains("=20"))
        #expect(message.body.utf8.count == 8857, "Python's quopri gives 8,857 characters")
        #expect(message.problems.isEmpty)
    }

    /// Every Enron file reads with a From header, without a crash, in bounded time.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func everyEnronFileHasAFromHeader() throws {
        let files = Fixture.files(under: Corpus.enron)
        #expect(files.count == 3110)
        var missing: [String] = []
        let cpu = try ReaderClock.cpuSeconds {
            for file in files {
                let message = ContentReader.read(platform: "email", content: Array(try Data(contentsOf: URL(fileURLWithPath: file))))
                if Self.value(message, "From")?.isEmpty ?? true { missing.append(file) }
                #expect(message.kind == .email && message.headers.first?.name == "From")
            }
        }
        #expect(missing.isEmpty, "no From header: \(missing.prefix(5))")
        #expect(cpu < 30, "reading the Enron sample took \(cpu) s of CPU")
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func quotedPrintableAndBase64Parts() throws {
        // Soft line breaks and "=20" before a line break (format=flowed, Latin-1).
        let flowed = try Self.file(Corpus.mimekitMessages + "/issue1130.txt")
        #expect(flowed.body.hasPrefix("We should have access, and apparently did a few months ago, but now there is \n"
            + "a \"You do not currently have access to this content.\" at the bottom of the \nrecord\n"))
        // ISO-2022-JP in a B-encoded Subject and in the body.
        let japanese = try Self.file(Corpus.mimekitMessages + "/japanese.txt")
        #expect(Self.value(japanese, "Subject") == "日本語メールテスト (testing Japanese emails)")
        #expect(Self.value(japanese, "From") == "Atsushi Eno <x@x.com>")
        #expect(japanese.body.contains("Let's see if both subject and body works fine...\n\n日本語が\n正常に\n送れているか\nテスト."))
        #expect(japanese.problems.isEmpty)
        // The first text/plain part is the body even when HTML and base64 parts follow.
        let lyrics = try Self.file(Corpus.pythonEmail + "/msg_10.txt")
        #expect(lyrics.body == "This is a 7bit encoded message.\n" && lyrics.bodyNote == nil)
        let base64 = Self.email("Subject: b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
            + "SGVsbG8sIHfDtnJsZCEN\nCkJ5ZQ==\n")
        #expect(base64.body == "Hello, wörld!\nBye" && base64.problems.isEmpty)
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func htmlOnlyMessages() throws {
        let simple = try Self.file(Corpus.mimekitMessages + "/body.2.txt")
        #expect(simple.body == "This is an html body.")
        #expect(simple.bodyNote == "Shown as plain text from the message's HTML part.")
        // Quoted-printable HTML with a <head>, <title> and <style> before one paragraph of text.
        let mhtml = try Self.file(Corpus.mimekitMessages + "/multipart-related-mhtml.txt")
        #expect(mhtml.body == "def")
        #expect(mhtml.bodyNote == "Shown as plain text from the message's HTML part.")

        let html = Self.email("""
            From: a@example.com\nSubject: html\nContent-Type: text/html; charset=utf-8\n
            <html><head><title>Hidden title</title><style>p { color: red }</style>
            <script>alert("head")</script></head><body><SCRIPT type="text/javascript">document.write("<p>x</p>")</SCRIPT>
            <p>Caf\u{E9} &amp; bar&nbsp;&#8364;5 &lt;b&gt; &bogus; &#x1F600;</p><div>line<br>two</div>
            <ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>
            <!-- <p>comment</p> --><p title="a > b">end</p><pre>  keep
              spaces</pre></body></html>
            """)
        #expect(html.body == "Café & bar\u{A0}€5 <b> &bogus; 😀\n\nline\ntwo\none\ntwo\na b\nc\n\nend\n\n  keep\n  spaces")
        #expect(!html.body.contains("alert") && !html.body.contains("color") && !html.body.contains("Hidden"))
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func attachmentsOfKnownFiles() throws {
        let jpegs = try Self.file(Corpus.pythonEmail + "/msg_22.txt")
        #expect(jpegs.attachments == [
            ReadableAttachment(name: "wibble.JPG", mediaType: "image/jpeg", size: 272),
            ReadableAttachment(name: "wibble2.JPG", mediaType: "image/jpeg", size: 317),
        ])
        #expect(jpegs.body == "Text text text." && Self.value(jpegs, "From") == "b@example.com")
        let gif = try Self.file(Corpus.pythonEmail + "/msg_07.txt")
        #expect(gif.attachments == [ReadableAttachment(name: "dingusfish.gif", mediaType: "image/gif", size: 3512)])
        #expect(Self.value(gif, "From") == "Barry <barry@digicool.com>")
        #expect(Self.value(gif, "Subject") == "Here is your dingus fish")
        #expect(gif.body == "Hi there,\n\nThis is the dingus fish.\n")
        // mixed > related > alternative: the plain part is the body; named parts are attachments.
        let nested = try Self.file(Corpus.mimekitMessages + "/body.7.txt")
        #expect(nested.body == "This is the text body.")
        #expect(nested.attachments == [
            ReadableAttachment(name: "empty.gif", mediaType: "image/gif", size: 0),
            ReadableAttachment(name: "empty.jpg", mediaType: "image/jpeg", size: 0),
            ReadableAttachment(name: "document.txt", mediaType: "text/plain", size: 29),
        ])
    }

    @Test func encodedParameterNamesAndAddresses() {
        let message = Self.email("""
            From: =?utf-8?q?J=C3=B6rg?= <jorg@example.com>, "Doe, John" <john@example.com> (Finance)
            To: undisclosed-recipients:;
            Cc: "=?ISO-8859-1?Q?Andr=E9?=" <andre@example.com>
            Reply-To: =?utf-8?B?5pel5pys?=<jp@example.com>
            Subject: =?utf-8?q?caf=C3=A9?= =?utf-8?q?_ol=C3=A9?= and plain
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain

            See attached.
            --b
            Content-Type: application/pdf
            Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20rates.pdf
            Content-Transfer-Encoding: base64

            JVBERi0x
            --b
            Content-Type: text/plain; name*0*=iso-8859-1''Caf%E9; name*1=" notes.txt"
            Content-Disposition: attachment
            Content-Transfer-Encoding: quoted-printable

            a=3Db=
            c
            --b
            Content-Type: image/png; name="=?utf-8?B?0KTQvtGC0L4ucG5n?="

            x
            --b--
            """)
        #expect(message.headers == [
            ReadableHeader(name: "From", value: "Jörg <jorg@example.com>, \"Doe, John\" <john@example.com> (Finance)"),
            ReadableHeader(name: "To", value: "undisclosed-recipients:;"),
            ReadableHeader(name: "Cc", value: "André <andre@example.com>"),
            ReadableHeader(name: "Reply-To", value: "日本<jp@example.com>"),
            ReadableHeader(name: "Subject", value: "café olé and plain"),
        ])
        #expect(message.body == "See attached.")
        #expect(message.attachments == [
            ReadableAttachment(name: "€ rates.pdf", mediaType: "application/pdf", size: 6),
            ReadableAttachment(name: "Café notes.txt", mediaType: "text/plain", size: 4),
            ReadableAttachment(name: "Фото.png", mediaType: "image/png", size: 1),
        ])
        #expect(message.problems.isEmpty)
    }

    @Test func problemsAreNamedWithoutContent() {
        let message = Self.email("""
            From: a@example.com\nSubject: x\u{0}y\u{7}z\u{1B}[31m\nContent-Type: multipart/mixed; boundary=q

            --q
            Content-Type: text/plain; charset=x-unheard-of
            Content-Transfer-Encoding: x-uuencode

            tab\tok\u{0}nul\u{8}bs\r\nnext\rold mac
            --q--
            """)
        #expect(Self.value(message, "Subject") == "xyz[31m")
        #expect(message.body == "tab\tok" + "nulbs\nnext\nold mac")
        #expect(message.problems == [
            "part 1 has an unknown transfer encoding; shown undecoded",
            "part 1 has an unknown charset; shown as UTF-8",
        ])
        let latin = Self.email("Subject: s\nContent-Type: text/plain; charset=utf-8\n\n")
        #expect(latin.problems.isEmpty && latin.body.isEmpty)
        var invalid = Array("Subject: s\nContent-Type: text/plain; charset=utf-8\n\ncaf".utf8)
        invalid += [0xE9, 0xFF]
        let bad = ContentReader.read(platform: "email", content: invalid)
        #expect(bad.body == "café\u{FF}")
        #expect(bad.problems == ["part 1 has bytes that are not valid in its charset; shown as Windows-1252 (Latin-1)"])
    }
}
