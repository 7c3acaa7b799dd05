import CustosCapture
import Foundation
import Testing

/// Seeded mutations of real edge-case messages (flipped bytes, cuts, duplicated boundaries and
/// header lines): every one must come back as a message or a per-item error, quickly.
struct MutationTests {
    /// SplitMix64: a tiny deterministic generator, so a failure can be replayed.
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

    private static func mutate(_ seed: [UInt8], using random: inout SplitMix) -> [UInt8] {
        var bytes = seed
        let pieces: [[UInt8]] = [Array("\n--".utf8), Array("\r\n\r\n".utf8), Array("=?utf-8?B?".utf8), [0], [0xFF],
                                 Array("Content-Type: multipart/mixed; boundary=\"\"\n".utf8), Array("\n From: <".utf8)]
        for _ in 0..<Int.random(in: 1...8, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...200, using: &random)))
            case 2: bytes.insert(contentsOf: pieces[Int.random(in: 0..<pieces.count, using: &random)], at: at)
            default:
                let end = min(bytes.count, at + Int.random(in: 1...400, using: &random))
                bytes.insert(contentsOf: bytes[at..<end], at: at)
            }
        }
        return bytes
    }

    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func mutatedMessagesNeverCrash() throws {
        let seeds = (Fixture.files(under: Corpus.pythonEmail) + Fixture.files(under: Corpus.mimekitMessages))
            .filter { !$0.hasSuffix("SOURCE.txt") && !$0.hasSuffix("stack-overflow.txt") }
            .compactMap { try? [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
        #expect(seeds.count == 78)
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SplitMix(state: 0xC057_05)
        var paths: [String] = []
        for index in 0..<600 {
            let seed = seeds[index % seeds.count]
            paths.append(try Fixture.write(Self.mutate(seed, using: &random), named: "m\(index).eml", in: folder))
        }
        // The same files as one mbox: "From " separators around mutated messages.
        var mbox: [UInt8] = []
        for path in paths.prefix(200) {
            mbox += Array("From mutation@example.com Mon Jun  3 12:50:27 1996\n".utf8)
            mbox += (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
            mbox += [0x0A]
        }
        let mboxPath = try Fixture.write(mbox, named: "mutations.mbox", in: folder)
        let emails = Array(try CaptureReader(format: .eml, paths: paths))
        #expect(emails.count == paths.count)
        let items = Array(try CaptureReader(format: .mbox, paths: [mboxPath]))
        #expect(items.count >= 200)
    }
}
