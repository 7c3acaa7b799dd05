import CustosCapture
import Foundation
import Testing

/// The MIME walk: what counts as an attachment, odd boundaries, and hostile nesting.
struct MIMETests {
    private static let head = "Date: Mon, 14 May 2001 16:39:00 -0700\nFrom: a@b.com\nMIME-Version: 1.0\n"

    @Test func countsAttachmentsButNotBodyAlternatives() throws {
        let message = try EmailParsingTests.message(Self.head + """
            Content-Type: multipart/mixed; boundary="outer"

            preamble
            --outer
            Content-Type: multipart/alternative; boundary=inner

            --inner
            Content-Type: text/plain; charset=utf-8

            plain body
            --inner
            Content-Type: text/html; name="body.html"

            <p>html body</p>
            --inner--
            --outer
            Content-Type: application/PDF; name="report.pdf"
            Content-Disposition: attachment; filename="report.pdf"

            JVBERi0=
            --outer
            Content-Type: image/png
            Content-Disposition: inline; filename*=UTF-8''%C3%A9t%C3%A9.png

            iVBORw0=
            --outer
            Content-Type: text/plain
            Content-Disposition: attachment

            notes
            --outer
            Content-Type: message/rfc822

            From: inner@x.com
            Content-Type: application/zip; name=hidden.zip

            UEsDBA==
            --outer--
            epilogue
            """)
        #expect(message.attachmentCount == 4)
        #expect(message.mediaTypes == ["application/pdf", "image/png", "message/rfc822", "text/plain"])
    }

    @Test func toleratesOddBoundariesAndMissingPieces() throws {
        let noClose = try EmailParsingTests.message(Self.head + """
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: image/gif; name=a.gif

            R0lG
            --b
            Content-Type: image/gif; name=b.gif

            R0lG
            """)
        #expect(noClose.attachmentCount == 2)
        #expect(noClose.mediaTypes == ["image/gif"])

        let prefixBoundary = try EmailParsingTests.message(Self.head + """
            Content-Type: multipart/mixed; boundary="x"

            --x
            Content-Type: multipart/mixed; boundary="xy"

            --xy
            Content-Type: audio/ogg; name=a.ogg

            T2dn
            --xy--
            --x--
            """)
        #expect(prefixBoundary.attachmentCount == 1)

        let emptyBoundary = try EmailParsingTests.capture(Self.head + "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx\n--\n")
        #expect(emptyBoundary.failureReason == nil)
        let noBoundary = try EmailParsingTests.message(Self.head + "Content-Type: multipart/mixed\n\n--z\n\nx\n")
        #expect(noBoundary.attachmentCount == 0)
        let missingSubtype = try EmailParsingTests.message(Self.head + "Content-Type: application; name=x\n\nabc\n")
        #expect(missingSubtype.mediaTypes == ["application/octet-stream"])
    }

    @Test func deepNestingIsBoundedNotFatal() throws {
        var text = Self.head + "Content-Type: multipart/mixed; boundary=b0\n\n"
        for level in 1...2000 {
            text += "--b\(level - 1)\nContent-Type: multipart/mixed; boundary=b\(level)\n\n"
        }
        text += "--b2000\nContent-Type: image/png; name=deep.png\n\nx\n"
        let message = try EmailParsingTests.message(text)
        #expect(message.attachmentCount == 0, "parts below the depth limit are not walked")
    }

    @Test func manyPartsAreBounded() throws {
        var text = Self.head + "Content-Type: multipart/mixed; boundary=m\n\n"
        for _ in 0..<20_000 { text += "--m\nContent-Type: image/gif; name=g.gif\n\nx\n" }
        let message = try EmailParsingTests.message(text + "--m--\n")
        #expect(message.attachmentCount == 9_999, "one part is the root multipart; the walk stops at 10,000 parts")
    }
}
