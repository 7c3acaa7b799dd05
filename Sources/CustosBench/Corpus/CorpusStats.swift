import ArgumentParser
import Foundation

/// `custos-bench corpus`: the spread of the synthetic corpus (platforms, participants, the long tail),
/// computed from the generator alone, so what a benchmark queries can be judged against it.
struct CorpusStats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "corpus", abstract: "Describe the synthetic corpus without running anything.")

    @OptionGroup var corpusOptions: CorpusOptions

    func run() async throws {
        let corpus = SyntheticCorpus(count: try corpusOptions.messageCount(default: 1_000_000))
        var platforms: [String: Int] = [:]
        var parts: [String: Int] = [:]
        var appearances = [Int](repeating: 0, count: corpus.people.count)
        var participantTotal = 0
        var attachments = 0
        var bytes = 0
        for i in 0..<corpus.count {
            let m = corpus.message(i)
            platforms[m.platform, default: 0] += 1
            for p in m.participants {
                parts[p.part, default: 0] += 1
                appearances[p.person] += 1
            }
            participantTotal += m.participants.count
            attachments += m.mediaTypes.isEmpty ? 0 : 1
            bytes += m.size + 16
        }
        let n = Double(corpus.count)
        let byActivity = appearances.sorted(by: >)
        let top10 = byActivity.prefix(byActivity.count / 10).reduce(0, +)
        print("messages \(Measure.grouped(corpus.count)), people \(corpus.people.count), domains \(corpus.domains.count)")
        print("platforms: " + platforms.sorted { $0.value > $1.value }.map { "\($0.key) \(Measure.fixed(Double($0.value) / n * 100)) %" }
            .joined(separator: ", "))
        print("participants per message \(Measure.fixed(Double(participantTotal) / n, 2)); parts: "
              + parts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("busiest person in \(Measure.grouped(byActivity[0])) messages (\(Measure.fixed(Double(byActivity[0]) / n * 100)) %); "
              + "top 10 % of people make \(Measure.fixed(Double(top10) / Double(max(participantTotal, 1)) * 100)) % of appearances; "
              + "median person \(byActivity[byActivity.count / 2]), least active \(byActivity.last ?? 0)")
        print("with attachments \(Measure.fixed(Double(attachments) / n * 100)) %; mean ciphertext \(bytes / max(corpus.count, 1)) bytes")
    }
}
