import CustosCrypto

/// What real client-side sealing costs, measured apart because the upload uses forged envelopes:
/// `Envelope.seal` (a scalar multiplication for R, one for Z, BLAKE2b, XChaCha20-Poly1305) on corpus-sized plaintexts.
enum SealCost {
    /// Microseconds per message on one core: the median of five rounds over `samples` messages, after a warm-up round.
    static func measure(corpus: SyntheticCorpus, publicKey: ArchivePublicKey, samples: Int) throws -> Double {
        let step = max(1, corpus.count / max(samples, 1))
        let messages = (0..<max(samples, 1)).map { corpus.message($0 * step % max(corpus.count, 1)) }
        var rng = BenchRandom(seed: corpus.seed ^ 0x5EA1)
        let plaintexts = messages.map { m -> [UInt8] in
            var bytes: [UInt8] = []
            rng.append(m.size, to: &bytes)
            return bytes
        }
        let round = max(1, messages.count / 5)
        var rounds: [Double] = []
        for r in 0..<6 {
            let slice = (r % 5 * round)..<min(messages.count, r % 5 * round + round)
            var sealedBytes = 0
            let (_, seconds) = try Measure.time {
                for i in slice {
                    let m = messages[i]
                    let header = EnvelopeHeader(uid: m.uid, epoch: publicKey.epoch, platform: m.platform, sentAt: m.sentAt)
                    sealedBytes += try Envelope.seal(plaintexts[i], header: header, publicKey: publicKey).ciphertext.count
                }
            }
            // Round 0 only warms caches up.
            if r > 0, sealedBytes > 0 { rounds.append(seconds / Double(slice.count) * 1e6) }
        }
        return Measure.percentile(rounds, 50)
    }
}
