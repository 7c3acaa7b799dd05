import CustosCapture
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Enron sample (real messages in 8 mailboxes) read as a maildir tree.
///
/// enron/maildir holds 3,110 message files; SOURCE.txt says 3,111, the number `find enron -type f`
/// gives when it counts SOURCE.txt itself. The test also recounts the files independently.
@Suite(.serialized) struct EnronTests {
    private static let expectedCount = 3110

    /// CPU time of the calling thread: unlike wall time it does not grow when parallel tests
    /// share the machine's two cores, so a time limit on it does not flake.
    private static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// All of it captures, without a single error, fast enough for a debug build.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func everyMessageCaptures() throws {
        let clock = ContinuousClock()
        let cpuStart = Self.threadCPUSeconds()
        var harvest: Harvest?
        let elapsed = try clock.measure { harvest = try Harvest(.maildir, [Corpus.path(Corpus.enron)]) }
        let cpu = Self.threadCPUSeconds() - cpuStart
        let result = try #require(harvest)
        #expect(result.messages.count == Self.expectedCount)
        #expect(result.errors.isEmpty, "errors: \(result.reasonSummary)")
        print("Enron maildir: \(result.messages.count) messages, \(result.errors.count) errors in \(elapsed) (\(cpu) s CPU)")
        #expect(cpu < 5, "parsing the Enron sample took \(cpu) s of CPU")
        #expect(result.messages.allSatisfy { $0.platform == "email" && $0.uid.hasPrefix("email:") })
        #expect(Set(result.messages.map(\.uid)).count == Self.expectedCount, "every file is a distinct message")
        #expect(result.messages.allSatisfy { $0.participants.contains { $0.part == .from } })
        #expect(result.messages.allSatisfy { $0.attachmentCount == 0 && $0.mediaTypes.isEmpty })
        #expect(result.messages.allSatisfy { $0.conversation.hasPrefix("<") && $0.conversation.hasSuffix(">") })
    }

    /// Per-sender counts agree with a deliberately naive count: the first `From:` line of each
    /// file, the address taken from angle brackets or as the word holding an `@`.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func senderCountsMatchANaiveCount() throws {
        var expected: [String: Int] = [:]
        let files = Fixture.files(under: Corpus.enron)
        #expect(files.count == Self.expectedCount)
        for file in files {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("From:") }) else { continue }
            let value = line.dropFirst(5)
            let address: Substring
            if let open = value.firstIndex(of: "<"), let close = value[open...].firstIndex(of: ">") {
                address = value[value.index(after: open)..<close]
            } else {
                address = value.split(separator: " ").first { $0.contains("@") } ?? ""
            }
            expected[address.lowercased(), default: 0] += 1
        }
        var actual: [String: Int] = [:]
        for message in try Harvest(.maildir, [Corpus.path(Corpus.enron)]).messages {
            for participant in message.participants where participant.part == .from {
                actual[participant.address, default: 0] += 1
            }
        }
        #expect(actual == expected)
        #expect(actual.values.reduce(0, +) == Self.expectedCount)
    }

    /// A second pass yields the same uids in the same order: re-runs are idempotent.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func uidsAreStableAcrossRuns() throws {
        let first = try Harvest(.maildir, [Corpus.path(Corpus.enron)]).messages.map(\.uid)
        let second = try Harvest(.maildir, [Corpus.path(Corpus.enron)]).messages.map(\.uid)
        #expect(first.count == Self.expectedCount)
        #expect(first == second)
    }

    /// The content of each message is the file, byte for byte; size is its length.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func contentIsTheFileByteForByte() throws {
        var compared = 0
        for message in try Harvest(.maildir, [Corpus.path(Corpus.enron)]).messages {
            let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: message.source)))
            #expect(message.content == file, "content differs from \(message.source)")
            #expect(message.size == file.count)
            compared += 1
        }
        #expect(compared == Self.expectedCount)
    }

    /// No subject, and no body line of 20+ characters, appears in any metadata field.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func subjectsAndBodiesNeverBecomeMetadata() throws {
        var subjectsChecked = 0
        for message in try Harvest(.maildir, [Corpus.path(Corpus.enron)]).messages {
            let text = String(decoding: message.content, as: UTF8.self)
            let sections = text.components(separatedBy: "\n\n")
            let header = sections.first ?? ""
            let body = sections.dropFirst().joined(separator: "\n\n")
            var fields = [message.conversation] + message.mediaTypes
            for participant in message.participants {
                fields.append(participant.address)
                if let name = participant.displayName { fields.append(name) }
                if let domain = participant.domain { fields.append(domain) }
            }
            if let line = header.split(separator: "\n").first(where: { $0.hasPrefix("Subject:") }) {
                let subject = line.dropFirst(8).trimmingCharacters(in: .whitespaces)
                if !subject.isEmpty {
                    subjectsChecked += 1
                    #expect(!fields.contains(subject), "a subject became metadata in \(message.source)")
                    if subject.count >= 8 {
                        #expect(!fields.contains { $0.contains(subject) }, "a subject occurs in metadata in \(message.source)")
                    }
                }
            }
            let addresses = Set(message.participants.map(\.address))
            for line in body.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                // A line that is just a participant's address is that address, not leaked text.
                guard trimmed.count >= 20, !addresses.contains(trimmed.lowercased()) else { continue }
                #expect(!fields.contains { $0.contains(trimmed) }, "a body line occurs in metadata in \(message.source)")
            }
        }
        #expect(subjectsChecked > 3000)
    }
}
