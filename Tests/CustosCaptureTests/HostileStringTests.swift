@testable import CustosCapture
import Foundation
import Testing

/// The Big List of Naughty Strings as display names, addresses, subjects, bodies and uids.
struct HostileStringTests {
    private static func naughtyStrings() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Corpus.path(Corpus.blns)))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String])
    }

    /// Encoded as RFC 2047 words (split every 17 bytes, so multi-byte characters straddle words)
    /// the names come back exactly; written raw into headers they cause no crash.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func inGeneratedEmail() throws {
        let strings = try Self.naughtyStrings()
        #expect(strings.count > 500)
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var paths: [String] = []
        for (index, string) in strings.enumerated() {
            let bytes = Array(string.utf8)
            let words = stride(from: 0, to: max(bytes.count, 1), by: 17).map { start in
                "=?UTF-8?B?" + Data(bytes[start..<min(start + 17, bytes.count)]).base64EncodedString() + "?="
            }
            let raw = string.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            var text = "Date: Mon, 14 May 2001 16:39:00 -0700\n"
            text += "From: \(words.joined(separator: "\n ")) <user\(index)@example.com>\n"
            text += "To: \(raw) <to\(index)@example.com>, \(raw)\n"
            text += "Cc: \"\(raw)\" <\(raw)>\n"
            text += "Subject: \(raw)\n\n\(string)\n"
            paths.append(try Fixture.write(Array(text.utf8), named: String(format: "%04d.eml", index), in: folder))
        }
        let results = Array(try CaptureReader(format: .eml, paths: paths))
        #expect(results.count == strings.count)
        for (index, result) in results.enumerated() {
            let message = try result.get()
            let from = try #require(message.participants.first)
            #expect(from.part == .from && from.address == "user\(index)@example.com")
            if !strings[index].isEmpty {
                #expect(from.displayName == strings[index], "name \(index) did not round-trip")
            }
        }
    }

    /// In jsonl every string is a legal JSON value: names and uids round-trip exactly.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func inJSONLines() throws {
        let strings = try Self.naughtyStrings()
        var lines: [String] = []
        for (index, string) in strings.enumerated() {
            let record: [String: Any] = [
                "platform": "chat", "conversation": "c\(index)", "sent_at": 1_600_000_000 + index,
                "from": ["address": "user\(index)@example.com", "name": string],
                "to": [["address": string.isEmpty ? "empty" : string]],
                "uid": "u\(index)-" + string, "text": string,
                "attachments": [["name": string, "media_type": "text/plain", "size": index]],
            ]
            let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            lines.append(String(decoding: data, as: UTF8.self))
        }
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try Fixture.write(Array(lines.joined(separator: "\n").utf8), named: "naughty.jsonl", in: folder)
        var messages: [Int: CapturedMessage] = [:]
        var errors: [CaptureItemError] = []
        for result in try CaptureReader(format: .jsonl, paths: [path]) {
            switch result {
            case .success(let message): messages[Int(message.conversation.dropFirst()) ?? -1] = message
            case .failure(let error): errors.append(error)
            }
        }
        #expect(messages.count + errors.count == strings.count)
        print("blns as jsonl: \(messages.count) messages, \(errors.count) errors")
        for error in errors {
            // The only refusals: an address that is blank, or a uid with control characters.
            #expect(error.reason.contains("\"to[0].address\" is empty") || error.reason.contains("\"uid\" must be"))
        }
        #expect(messages.count > 450)
        for (index, message) in messages {
            let string = strings[index]
            #expect(message.participants.first?.displayName == (string.isEmpty ? nil : string))
            #expect(message.uid == ContentID.uid(platform: "chat", sourceID: "u\(index)-" + string))
            #expect(message.sentAt == Int64(1_600_000_000 + index))
            #expect(message.mediaTypes == ["text/plain"])
            #expect(message.content == Array(lines[index].utf8))
        }
    }
}
