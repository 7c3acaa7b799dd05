/// A deterministic synthetic archive of `count` messages: a few thousand people with a Zipf-like long
/// tail, five platforms, three years of roughly chronological traffic, 1–6 participants each, ~2 KiB
/// ciphertexts. Message `i` depends only on (seed, i), so any stage (ingest now, search later) can
/// regenerate any message, in any order, on any core, and know what the archive holds without storing it.
struct SyntheticCorpus: Sendable {
    /// How many messages the corpus has.
    let count: Int
    /// The seed every message is derived from.
    let seed: UInt64
    /// Everyone who appears, most active first (rank 0 is the heaviest sender).
    let people: [SyntheticPerson]
    /// Every email domain; `domains[0]` is the archiving organisation's own.
    let domains: [String]
    /// Picks a person by activity rank.
    let personRanks: ZipfSampler
    /// Where each backfill ends: the corpus is one backfill by default, or (for the growth curve) several in turn,
    /// each spread over the whole three years in upload order, as when one mailbox after another is captured. So
    /// every prefix that ends on a boundary covers the same period, and the same searches find more as it grows.
    let segments: [Int]

    /// The platforms and their shares of the traffic.
    static let platforms: [(name: String, share: Double)] = [
        ("email", 0.55), ("slack", 0.20), ("teams", 0.12), ("whatsapp", 0.08), ("sms", 0.05),
    ]
    /// First second of the corpus: 2022-01-01T00:00:00Z.
    static let start: Int64 = 1_640_995_200
    /// Three years (1,096 days, 2024 being a leap year): the corpus ends at 2025-01-01T00:00:00Z.
    static let span: Int64 = 1_096 * 86_400
    /// Plaintext sizes are uniform in this range, so ciphertexts (16 bytes longer) average 2 KiB.
    static let plaintextSizes = 1_008...3_056
    /// Attachment media types, drawn for the ~12 % of messages that have attachments.
    static let mediaTypes = ["application/pdf", "image/png", "image/jpeg", "text/csv",
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]

    /// The corpus of `count` messages from `seed`, with `peopleCount` distinct participants, as backfills ending
    /// at `segments` (one backfill of `count` messages when empty).
    init(count: Int, seed: UInt64 = 0xC057_05BE_4C40_0001, peopleCount: Int = 4_000, segments: [Int] = []) {
        self.count = count
        self.seed = seed
        self.segments = segments.isEmpty ? [count] : segments
        var rng = BenchRandom(seed: seed ^ 0x5EED_0F_9E0F1E)
        domains = ["custos-bank.example"] + (1..<120).map { "partner\($0).\(["example", "example.com", "example.org"][$0 % 3])" }
        let externalDomains = ZipfSampler(count: domains.count - 1, exponent: 1.0)
        var used: Set<String> = []
        var people: [SyntheticPerson] = []
        for rank in 0..<peopleCount {
            let first = Self.firstNames[rng.below(Self.firstNames.count)]
            let last = Self.lastNames[rng.below(Self.lastNames.count)]
            // The heaviest senders are mostly staff: archives capture their own people's traffic.
            let internalShare = rank < peopleCount / 10 ? 0.8 : 0.4
            let domain = rng.unit() < internalShare ? 0 : 1 + externalDomains.sample(&rng)
            var local = "\(first.lowercased()).\(last.lowercased())"
            if !used.insert(local + "@" + domains[domain]).inserted { local += "\(rank)" }
            used.insert(local + "@" + domains[domain])
            people.append(SyntheticPerson(rank: rank, name: "\(first) \(last)", email: local + "@" + domains[domain],
                                          phone: "+1555\(String(1_000_000 + rank * 7 + rng.below(7)))", domainIndex: domain))
        }
        self.people = people
        // The busiest person is in ≈ 4 % of messages, the top 10 % of people make ≈ 64 % of appearances,
        // and the median person is in ≈ 240 messages per million.
        personRanks = ZipfSampler(count: peopleCount, exponent: 1.1, offset: 20)
    }

    /// The first `n` messages of this corpus, as a corpus of its own (the same messages, the same backfills).
    func prefix(_ n: Int) -> SyntheticCorpus {
        SyntheticCorpus(count: n, seed: seed, peopleCount: people.count, segments: segments)
    }

    /// Message `i` (0 ≤ i < count): its metadata; the envelope comes from `EnvelopeForge`.
    func message(_ i: Int) -> SyntheticMessage {
        var rng = BenchRandom(seed: seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
        let platform = Self.pickPlatform(rng.unit())
        let end = segments.first { i < $0 } ?? segments[segments.count - 1]
        let begin = segments.last { $0 <= i && $0 < end } ?? 0
        let chronological = Self.start + Int64((Double(i - begin) + 0.5) / Double(max(end - begin, 1)) * Double(Self.span))
        let sentAt = min(max(Self.start, chronological + Int64(rng.below(43_200)) - 21_600), Self.start + Self.span - 1)
        let wanted = Self.participantCounts[rng.below(Self.participantCounts.count)]
        var chosen: [Int] = []
        for _ in 0..<(wanted * 4) where chosen.count < wanted {
            let rank = personRanks.sample(&rng)
            if !chosen.contains(rank) { chosen.append(rank) }
        }
        let phoneBased = platform == "sms" || platform == "whatsapp"
        var participants: [SyntheticParticipant] = []
        for (n, rank) in chosen.enumerated() {
            let person = people[rank]
            let part: String
            if n == 0 {
                part = "from"
            } else if platform == "email" {
                part = n == 1 ? "to" : ["to", "to", "cc", "cc", "bcc"][rng.below(5)]
            } else {
                part = phoneBased && chosen.count == 2 ? "to" : "member"
            }
            let withName = platform == "slack" || platform == "teams" || (platform == "email" && rng.below(10) < 7)
            participants.append(SyntheticParticipant(person: rank, address: phoneBased ? person.phone : person.email,
                                                     name: withName ? person.name : nil, part: part))
        }
        let size = Self.plaintextSizes.lowerBound + rng.below(Self.plaintextSizes.count)
        let attachments = platform == "email" ? (rng.below(100) < 18 ? 1 + rng.below(3) : 0) : (rng.below(100) < 4 ? 1 : 0)
        let media = (0..<attachments).map { _ in Self.mediaTypes[rng.below(Self.mediaTypes.count)] }
        return SyntheticMessage(
            index: i, uid: platform + ":" + Self.hex(seed: seed, index: i), platform: platform,
            conversation: conversation(platform: platform, index: i, rng: &rng), direction: direction(platform, chosen),
            sentAt: sentAt, size: size, mediaTypes: media, participants: participants)
    }

    private func conversation(platform: String, index i: Int, rng: inout BenchRandom) -> String {
        switch platform {
        case "email": "<thread-\((i + rng.below(16)) / 6)@mail.custos-bank.example>"  // threads of nearby messages
        case "slack": "slack:C\(String(100_000 + Self.channels.sample(&rng), radix: 36, uppercase: true))"
        case "teams": "teams:19:chat\(Self.channels.sample(&rng) % 400)@thread.v2"
        case "whatsapp": "whatsapp:group-\(Self.channels.sample(&rng) % 300)"
        default: "sms:thread-\(Self.channels.sample(&rng))"
        }
    }

    private func direction(_ platform: String, _ ranks: [Int]) -> String {
        guard platform == "email" || platform == "sms" || platform == "whatsapp" else { return "internal" }
        let inside = ranks.map { people[$0].domainIndex == 0 }
        if inside.allSatisfy({ $0 }) { return "internal" }
        return inside.first == true ? "outbound" : "inbound"
    }

    private static func pickPlatform(_ u: Double) -> String {
        var acc = 0.0
        for p in platforms {
            acc += p.share
            if u < acc { return p.name }
        }
        return platforms[0].name
    }

    /// 64 lower-hex digits, like the capture client's `<platform>:<BLAKE2b-256>` uids (random order).
    private static func hex(seed: UInt64, index: Int) -> String {
        var rng = BenchRandom(seed: seed ^ UInt64(index) &* 0xD1B5_4A32_D192_ED03 ^ 0xA5A5)
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for _ in 0..<8 {
            var w = rng.next()
            for _ in 0..<8 {
                out.append(digits[Int(w & 15)])
                out.append(digits[Int(w >> 4 & 15)])
                w >>= 8
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Participants per message, 1–6 (mean 3.45).
    static let participantCounts = [1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6]
    /// Chat channels and SMS threads: a few busy ones and a long tail.
    static let channels = ZipfSampler(count: 2_000, exponent: 1.1)
    static let firstNames = ["Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi", "Liam",
                             "Maya", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wei", "Yara"]
    static let lastNames = ["Abbott", "Berg", "Castro", "Dubois", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
                            "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Singh", "Tanaka", "Weber"]
}

/// One person of the corpus: an email address for email and chat, a phone number for SMS and WhatsApp.
struct SyntheticPerson: Sendable {
    let rank: Int
    let name: String
    let email: String
    let phone: String
    let domainIndex: Int
}

/// One participant of one message, as the capture client would report it.
struct SyntheticParticipant: Sendable {
    let person: Int
    let address: String
    let name: String?
    let part: String
}

/// The metadata of one synthetic message.
struct SyntheticMessage: Sendable {
    let index: Int
    let uid: String
    let platform: String
    let conversation: String
    let direction: String
    let sentAt: Int64
    /// Plaintext bytes; the ciphertext is 16 longer.
    let size: Int
    let mediaTypes: [String]
    let participants: [SyntheticParticipant]
}
