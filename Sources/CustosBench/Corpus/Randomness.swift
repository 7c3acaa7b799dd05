import Foundation

/// xoshiro256** seeded through SplitMix64: fast, and the same stream for the same seed on every machine,
/// so a corpus can be regenerated message by message (in parallel, or later by the search benchmark).
struct BenchRandom: RandomNumberGenerator {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator for `seed`; nearby seeds give unrelated streams.
    init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform integer in `0..<bound` (bound > 0); the tiny modulo bias does not matter for a corpus.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// A uniform double in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// `count` random bytes appended to `bytes`.
    mutating func append(_ count: Int, to bytes: inout [UInt8]) {
        var left = count
        while left > 0 {
            var word = next()
            for _ in 0..<min(8, left) {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
            left -= 8
        }
    }
}

/// Draws ranks 0..<n with probability ∝ 1 / (rank + 1 + offset)^s (Zipf–Mandelbrot): a few heavy
/// hitters and a long tail; the offset keeps the very first ranks from dominating.
struct ZipfSampler: Sendable {
    private let cumulative: [Double]

    /// A sampler over `n` ranks with exponent `s` and offset `q`.
    init(count n: Int, exponent s: Double, offset q: Double = 0) {
        var total = 0.0
        var cdf: [Double] = []
        cdf.reserveCapacity(n)
        for rank in 0..<n {
            total += 1 / pow(Double(rank + 1) + q, s)
            cdf.append(total)
        }
        cumulative = cdf.map { $0 / total }
    }

    /// How many ranks there are.
    var count: Int { cumulative.count }

    /// One rank.
    func sample(_ rng: inout BenchRandom) -> Int {
        let u = rng.unit()
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] < u { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The probability of `rank`, so a benchmark can say how common what it queries is.
    func share(of rank: Int) -> Double {
        cumulative[rank] - (rank == 0 ? 0 : cumulative[rank - 1])
    }
}
