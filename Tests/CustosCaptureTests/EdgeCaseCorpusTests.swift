import CustosCapture
import Foundation
import Testing

/// CPython's and MimeKit's hand-made edge-case messages: every file gives a message or a clear
/// per-item error, never a crash, and known structures come out as expected.
struct EdgeCaseCorpusTests {
    /// Results keyed by file name.
    private static func results(_ relative: String) throws -> [String: Result<CapturedMessage, CaptureItemError>] {
        let files = Fixture.files(under: relative).filter { !$0.hasSuffix("/SOURCE.txt") && !$0.hasSuffix("/LICENSE") }
        var out: [String: Result<CapturedMessage, CaptureItemError>] = [:]
        for result in try CaptureReader(format: .eml, paths: files) {
            let source = switch result {
            case .success(let message): message.source
            case .failure(let error): error.source
            }
            out[URL(fileURLWithPath: source).lastPathComponent] = result
        }
        #expect(out.count == files.count, "one result per file")
        return out
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func pythonStdlibMessages() throws {
        let results = try Self.results(Corpus.pythonEmail)
        #expect(results.count == 47)
        let failures = results.values.compactMap(\.failureReason)
        #expect(failures.allSatisfy { $0.hasPrefix("no Date header") || $0.hasPrefix("no header fields") })
        print("python-stdlib-email-tests: \(results.count - failures.count) messages, \(failures.count) errors")

        let gif = try #require(results["msg_07.txt"]).get()
        #expect(gif.attachmentCount == 1 && gif.mediaTypes == ["image/gif"])
        #expect(gif.participants.first == Participant(address: "barry@digicool.com", displayName: "Barry", part: .from,
                                                      domain: "digicool.com"))
        let jpegs = try #require(results["msg_22.txt"]).get()
        #expect(jpegs.attachmentCount == 2 && jpegs.mediaTypes == ["image/jpeg"])
        #expect(try #require(results["msg_26.txt"]).get().mediaTypes == ["application/riscos"])
        #expect(try #require(results["msg_04.txt"]).get().attachmentCount == 2)
        let comments = try #require(results["msg_01.txt"]).get()
        #expect(comments.participants.first?.displayName == "John X. Doe", "a comment names the sender")
        #expect(try #require(results["msg_20.txt"]).get().participants.filter { $0.part == .cc }.count == 3)
        #expect(try #require(results["msg_43.txt"]).get().participants.allSatisfy { $0.part != .from },
                "MAILER DAEMON <> has no address")
        #expect(results["msg_45.txt"]?.failureReason?.hasPrefix("no Date header") == true)
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func mimekitMessages() throws {
        let clock = ContinuousClock()
        var captured: [String: Result<CapturedMessage, CaptureItemError>] = [:]
        let elapsed = try clock.measure { captured = try Self.results(Corpus.mimekitMessages) }
        #expect(elapsed < .seconds(20))
        let results = captured
        #expect(results.count == 32)
        let failures = results.values.compactMap(\.failureReason)
        #expect(failures.allSatisfy { $0.hasPrefix("no Date header") })
        print("mimekit messages: \(results.count - failures.count) messages, \(failures.count) errors")

        // 2,719 folded lines of encoded words in To: one real address, no stack or time blow-up.
        let overflow = try #require(results["stack-overflow.txt"]).get()
        #expect(overflow.participants.filter { $0.part == .to }.map(\.address) == ["test@test.com"])
        let bom = try #require(results["feedback-report.txt"]).get()
        #expect(bom.participants.first?.address == "abusedesk@example.com", "a leading byte order mark is skipped")
        #expect(try #require(results["bounce.txt"]).get().mediaTypes == ["message/rfc822"])
        #expect(try #require(results["multipart-digest.txt"]).get().mediaTypes == ["message/rfc822"])
        #expect(try #require(results["simple-multipart.eml"]).get().attachmentCount == 1)
        #expect(try #require(results["empty-multipart.txt"]).get().attachmentCount == 0)
        let japanese = try #require(results["japanese.txt"]).get()
        #expect(japanese.participants.compactMap(\.displayName) == ["Atsushi Eno", "Jeffrey Stedfast"])
        // "Date: Wed, 20 Sep 1995 00:19:00 (EDT) -0400": the zone after the comment counts.
        #expect(try #require(results["disposition-notification.txt"]).get().sentAt == 811_570_740)
    }
}
