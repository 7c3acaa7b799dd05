import CustosCapture
import Foundation
import Testing

/// The chat parsers under mutation: Slack day files of the real test export (unpacked), our JSON-lines
/// format, and the chat documents the content viewer reads, each mutated by a seeded generator (flipped
/// bytes, cuts, duplicated slices, hostile fragments). Every input must come back as messages or per-item
/// errors — never a crash or a hang — and quickly.
struct ChatMutationTests {
    /// SplitMix64, so a failure can be replayed from its seed.
    private struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// JSON-shaped fragments that push parsers where they break: unbalanced brackets, deep nesting,
    /// escapes, huge numbers, wrong types, NUL and invalid UTF-8.
    private static let pieces: [[UInt8]] = [
        Array("{".utf8), Array("}".utf8), Array("[[[[[[[[[[[[".utf8), Array("\"\\u0000\\ud800\"".utf8), [0], [0xFF, 0xFE],
        Array("1e999999".utf8), Array("null".utf8), Array("\"ts\": \"-1\"".utf8), Array("\"text\": {\"a\": [1]}".utf8),
        Array("<script>alert(1)</script>".utf8), Array(String(repeating: "\\\\", count: 64).utf8),
    ]

    private static func mutate(_ seed: [UInt8], using random: inout SplitMix) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...6, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...120, using: &random)))
            case 2: bytes.insert(contentsOf: pieces[Int.random(in: 0..<pieces.count, using: &random)], at: at)
            default:
                let end = min(bytes.count, at + Int.random(in: 1...300, using: &random))
                bytes.insert(contentsOf: bytes[at..<end], at: at)
            }
        }
        return bytes
    }

    static let jsonlSeed = """
        {"uid": "m-1", "platform": "whatsapp", "conversation": "group-77", "sent_at": "2021-03-04T05:06:07+02:00", \
        "from": {"address": "whatsapp:+15551234567", "name": "Ann Example"}, "to": [{"address": "bob@example.com", "name": "Bob"}], \
        "members": [{"address": "whatsapp:+15557654321"}], "text": "Meet at noon.", \
        "attachments": [{"name": "plan.pdf", "media_type": "application/pdf", "size": 48213}]}
        """

    @Test func mutatedJSONLinesNeverCrash() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SplitMix(state: 0x15_0C4A7)
        var lines: [[UInt8]] = []
        for _ in 0..<1_500 { lines.append(Self.mutate(Array(Self.jsonlSeed.utf8), using: &random)) }
        var file: [UInt8] = []
        for line in lines { file += line.filter { $0 != 0x0A } + [0x0A] }
        let path = try Fixture.write(file, named: "mutated.jsonl", in: folder)
        let started = Date()
        let results = Array(try CaptureReader(format: .jsonl, paths: [path]))
        #expect(results.count == lines.count, "one message or one error per line")
        #expect(Date().timeIntervalSince(started) < 30)
        // The content viewer reads the same documents as chat messages.
        for line in lines.prefix(500) { _ = ContentReader.read(platform: "whatsapp", content: line) }
    }

    @Test(.enabled(if: Corpus.isAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/unzip"),
                   "needs the corpus and /usr/bin/unzip"))
    func mutatedSlackDayFilesNeverCrash() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/usr/bin/unzip")
        unzip.arguments = ["-q", Corpus.path(Corpus.slackZip), "-d", folder.path]
        try unzip.run()
        unzip.waitUntilExit()
        try #require(unzip.terminationStatus == 0)
        let fm = FileManager.default
        var dayFiles: [URL] = []
        for channel in ["enrique", "traveling-sailor"] {
            for day in try fm.contentsOfDirectory(atPath: folder.path + "/" + channel).sorted() {
                dayFiles.append(folder.appendingPathComponent(channel + "/" + day))
            }
        }
        let originals = try dayFiles.map { try [UInt8](Data(contentsOf: $0)) }
        var random = SplitMix(state: 0x51AC_C0DE)
        let started = Date()
        var rounds = 0
        var harvested = 0
        // Each round mutates every day file and reads the export again (a crash ends the test process).
        for _ in 0..<12 {
            for (url, original) in zip(dayFiles, originals) {
                try Data(Self.mutate(original, using: &random)).write(to: url)
            }
            let result = try Harvest(.slack, [folder.path])
            harvested += result.messages.count + result.errors.count
            for m in result.messages.prefix(40) { _ = ContentReader.read(platform: "slack", content: m.content) }
            rounds += 1
        }
        #expect(rounds == 12 && harvested > 0)
        #expect(Date().timeIntervalSince(started) < 60)
    }
}
