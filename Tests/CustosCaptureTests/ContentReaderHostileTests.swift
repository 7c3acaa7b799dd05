import CustosCapture
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time of the calling thread, which does not grow when parallel tests share the cores.
enum ReaderClock {
    /// Runs `work` and returns the CPU seconds it used on this thread.
    static func cpuSeconds(_ work: () throws -> Void) rethrows -> Double {
        func now() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        let start = now()
        try work()
        return now() - start
    }
}

/// Hostile content: ContentReader returns, within a bound, with the damage named in problems.
struct ContentReaderHostileTests {
    /// Deterministic pseudo-random bytes (xorshift), so a failure can be reproduced.
    private static func garbage(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var out = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            out[index] = UInt8(truncatingIfNeeded: state)
        }
        return out
    }

    private static let oneMiB = 1_048_576

    @Test func tenMegabytesOfGarbage() {
        let bytes = Self.garbage(count: 10 * Self.oneMiB, seed: 0x9E37_79B9_7F4A_7C15)
        for platform in ["email", "slack"] {
            var message = ReadableMessage(kind: .chat)
            let cpu = ReaderClock.cpuSeconds { message = ContentReader.read(platform: platform, content: bytes) }
            #expect(cpu < 20, "\(platform): \(cpu) s of CPU")
            #expect(message.body.utf8.count <= Self.oneMiB && message.body.utf8.count > Self.oneMiB / 2)
            #expect(message.problems.contains("the body is longer than 1 MiB; only its first 1 MiB is shown"))
            #expect(!message.body.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" })
        }
    }

    @Test func deepNesting() {
        var text = "From: a@example.com\nContent-Type: multipart/mixed; boundary=b0\n\n"
        for depth in 0..<5000 { text += "--b\(depth)\nContent-Type: multipart/mixed; boundary=b\(depth + 1)\n\n" }
        text += "--b5000\nContent-Type: text/plain\n\ndeep text\n"
        var message = ReadableMessage(kind: .chat)
        let cpu = ReaderClock.cpuSeconds { message = ContentReader.read(platform: "email", content: Array(text.utf8)) }
        #expect(cpu < 20)
        #expect(message.problems == ["MIME parts nested deeper than 32 levels were not read"])
        #expect(message.body.hasPrefix("--b0\nContent-Type: multipart/mixed; boundary=b1\n"))
        #expect(message.bodyNote == "Shown as the raw text of the message body, because its MIME parts could not be read.")
        #expect(message.headers.first?.value == "a@example.com")

        let json = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let chat = ContentReader.read(platform: "teams", content: Array(json.utf8))
        #expect(chat.kind == .chat && chat.problems == ["the content is not a JSON chat document; shown as raw text"])
        let html = "Content-Type: text/html\n\n" + String(repeating: "<div><p>x", count: 200_000)
            + "<script>" + String(repeating: "<!--", count: 10_000)
        var converted = ReadableMessage(kind: .chat)
        let htmlCPU = ReaderClock.cpuSeconds { converted = ContentReader.read(platform: "email", content: Array(html.utf8)) }
        #expect(htmlCPU < 20 && converted.body.hasPrefix("x\n\nx\n\nx"))
    }

    /// A megabyte of encoded words of one charset: joining them must not copy the run each time.
    @Test func megabyteOfEncodedWords() {
        let words = String(repeating: "=?utf-8?q?=C3=A9?= ", count: 27_000)
        let text = "From: " + words + "<a@example.com>\nSubject: " + words + "\n\nbody"
        var message = ReadableMessage(kind: .chat)
        let cpu = ReaderClock.cpuSeconds { message = ContentReader.read(platform: "email", content: Array(text.utf8)) }
        #expect(cpu < 20, "\(cpu) s of CPU")
        #expect(message.headers.last?.value == String(repeating: "é", count: 27_000))
        #expect(message.headers.first?.value == String(repeating: "é", count: 27_000) + " <a@example.com>")
        #expect(message.problems.isEmpty)

        // Twenty such Subject fields: the first 1 MiB of header values is read, then no more.
        let many = String(repeating: "Subject: " + words + "\n", count: 20) + "\nbody"
        var cut = ReadableMessage(kind: .chat)
        let manyCPU = ReaderClock.cpuSeconds { cut = ContentReader.read(platform: "email", content: Array(many.utf8)) }
        #expect(manyCPU < 20, "\(manyCPU) s of CPU")
        #expect(cut.headers.count == 3 && cut.body == "body")
        #expect(cut.problems == ["the Subject field is cut short: headers are shown up to 1 MiB in all"])
    }

    @Test func manyParts() {
        var text = "Content-Type: multipart/mixed; boundary=z\n\n"
        for index in 0..<10_050 { text += "--z\nContent-Type: application/x-part; name=p\(index)\n\nz\n" }
        let message = ContentReader.read(platform: "email", content: Array(text.utf8))
        #expect(message.attachments.count == 9_999, "10,000 parts counting the multipart itself")
        #expect(message.problems == ["the message has more than 10000 MIME parts; the rest were not read"])
        #expect(message.bodyNote == "The message has no text part; see its attachments.")
    }

    @Test func missingBoundaries() {
        let never = ContentReader.read(platform: "email", content: Array(
            "From: a@example.com\nContent-Type: multipart/mixed; boundary=nowhere\n\n--elsewhere\n\nthe text\n".utf8))
        #expect(never.body == "--elsewhere\n\nthe text\n")
        #expect(never.bodyNote == "Shown as the raw text of the message body, because its MIME parts could not be read.")
        #expect(never.problems == ["a multipart part has no parts: its boundary never appears"])
        let unnamed = ContentReader.read(platform: "email", content: Array(
            "From: a@example.com\nContent-Type: multipart/alternative\n\n--x\n\nhello\n".utf8))
        #expect(unnamed.body == "--x\n\nhello\n")
        #expect(unnamed.problems == ["a multipart part names no boundary; its contents were not read"])
        // No closing delimiter and no blank line after the part header: the text is still found.
        let unclosed = ContentReader.read(platform: "email", content: Array(
            "Content-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\nstill here".utf8))
        #expect(unclosed.body == "still here" && unclosed.problems.isEmpty)
    }

    @Test func invalidUTF8AndControls() {
        var bytes = Array("From: ".utf8) + [0xC3, 0x41, 0xFF, 0x00] + Array(" <a@example.com>\nSubject: ".utf8)
        bytes += [0xE2, 0x82, 0x00, 0x1B, 0xC2, 0x85, 0x7F] + Array("\n\n".utf8) + [0xF0, 0x9F, 0x98]
        let message = ContentReader.read(platform: "email", content: bytes)
        #expect(message.headers.map(\.name) == ["From", "Subject"])
        for text in message.headers.map(\.value) + [message.body] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        }
        #expect(message.headers.first?.value == "ÃAÿ <a@example.com>")
        let empty = ContentReader.read(platform: "email", content: [])
        #expect(empty.kind == .email && empty.body.isEmpty && empty.headers.isEmpty)
        #expect(ContentReader.read(platform: "slack", content: []).kind == .chat)
    }

    /// The naughty strings as Subject, body and chat text: no crash, no control characters out.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func naughtyStrings() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Corpus.path(Corpus.blns)))
        let strings = try #require(try JSONSerialization.jsonObject(with: data) as? [String])
        for string in strings {
            let email = ContentReader.read(platform: "email", content: Array("Subject: \(string)\n\n\(string)".utf8))
            let document = try JSONSerialization.data(withJSONObject: ["text": string, "sender": ["name": string]])
            let chat = ContentReader.read(platform: "slack", content: Array(document))
            for text in email.headers.map(\.value) + [email.body, chat.body, chat.sender ?? ""] {
                #expect(!text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F })
            }
        }
    }
}
