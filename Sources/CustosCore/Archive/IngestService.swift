import CustosCrypto
import Foundation

/// Accepts batches of envelopes from capture clients: validates each item, stores new ones in one
/// transaction with their metadata index rows, skips ones already archived (idempotent on uid),
/// and records the batch — with a digest over every stored envelope's hash — in the audit chain.
public struct IngestService: Sendable {
    let archive: Archive
    let indexer: MetadataIndexer
    let registry: EpochRegistry

    public init(archive: Archive, indexer: MetadataIndexer, registry: EpochRegistry) {
        self.archive = archive
        self.indexer = indexer
        self.registry = registry
    }

    /// Most items one request may carry.
    public static let maximumBatch = 1000
    /// Largest plaintext one message may have.
    public static let maximumMessageBytes = 32 * 1024 * 1024
    static let platformCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789_-")
    static let directions: Set<String> = ["inbound", "outbound", "internal", "unknown"]
    static let parts: Set<String> = ["from", "to", "cc", "bcc", "member"]

    /// Stores what is new in `items` for `token` and answers one result per item, in order.
    public func ingest(_ items: [IngestItem], token: CaptureTokenRecord, client: String) throws -> [IngestResult] {
        guard !items.isEmpty else { throw DomainError.invalidInput("The batch is empty.") }
        guard items.count <= Self.maximumBatch else {
            throw DomainError.invalidInput("A batch may carry at most \(Self.maximumBatch) messages; this one has \(items.count).")
        }
        let now = archive.clock.now()
        let (epochs, assigner) = try archive.read { uow in
            // Only epochs whose rows agree with their signed transcripts: a row slipped into the table names a key
            // no custodian made, and nothing sealed to it is stored.
            (Set(try registry.verifiedPrefix(uow).chain.map(\.epoch)), RetentionAssigner(rules: try uow.retention.rules()))
        }
        var prepared: [Int: MessageRecord] = [:]
        var results = items.map { IngestResult(uid: $0.uid, status: .rejected) }
        var seen: Set<String> = []
        for (i, item) in items.enumerated() {
            do {
                guard seen.insert(item.uid).inserted else { throw DomainError.invalidInput("uid appears twice in this batch") }
                prepared[i] = try record(for: item, epochs: epochs, assigner: assigner, token: token, now: now)
            } catch let e as DomainError {
                results[i].reason = e.message
            } catch let e as CryptoError {
                results[i].reason = Self.describe(e)
            }
        }
        let committed = try archive.transaction { tx in
            let existing = try tx.uow.messages.existing(uids: prepared.keys.map { items[$0].uid })
            var new: [(index: Int, record: MessageRecord)] = []
            for i in prepared.keys.sorted() {
                let uid = items[i].uid
                if let id = existing[uid] {
                    results[i] = IngestResult(uid: uid, status: .duplicate, id: id)
                } else if let record = prepared[i] {
                    new.append((i, record))
                }
            }
            let ids = try tx.uow.messages.insert(new.map(\.record))
            // The digest runs over the stored messages in id order, as verification reads them back.
            let digest = BLAKE2b.Hasher()
            for (id, entry) in zip(ids, new).sorted(by: { $0.0 < $1.0 }) {
                results[entry.index] = IngestResult(uid: entry.record.uid, status: .stored, id: id)
                ArchiveDigest.absorb(digest, id: id, seal: entry.record.seal)
            }
            let stored = ids.count
            let firstID = ids.min()
            let lastID = ids.max() ?? 0
            try tx.uow.captureTokens.markUsed(id: token.id, at: now)
            if stored > 0 || results.contains(where: { $0.status == .rejected }) {
                var details = ["token": token.name, "stored": "\(stored)",
                               "duplicates": "\(results.filter { $0.status == .duplicate }.count)",
                               "rejected": "\(results.filter { $0.status == .rejected }.count)"]
                if let firstID {
                    details["first_id"] = "\(firstID)"
                    details["last_id"] = "\(lastID)"
                    details["digest"] = Hex.encode(digest.finalize())
                    details["digest_scheme"] = ArchiveDigest.sealScheme
                }
                try tx.record(AuditDraft(actor: "capture:\(token.name)", role: "capture", action: .messagesIngested,
                                         target: "capture_token:\(token.id)", details: details, client: client))
            }
            return results
        }
        ArchiveCounters.ingested(committed)
        return committed
    }

    private func record(for item: IngestItem, epochs: Set<Int>, assigner: RetentionAssigner, token: CaptureTokenRecord,
                        now: Int64) throws -> MessageRecord {
        let platform = item.platform
        guard (1...32).contains(platform.count), platform.allSatisfy({ Self.platformCharacters.contains($0) }) else {
            throw DomainError.invalidInput("platform must be 1–32 characters of a–z, 0–9, '_' or '-'")
        }
        guard epochs.contains(item.epoch) else {
            throw DomainError.invalidInput("unknown key epoch \(item.epoch) (or one whose transcript does not verify)")
        }
        guard Self.directions.contains(item.direction) else { throw DomainError.invalidInput("direction must be inbound, outbound, internal or unknown") }
        guard (1...1024).contains(item.conversation.utf8.count) else { throw DomainError.invalidInput("conversation must be 1–1024 bytes") }
        guard item.sentAt >= 0, item.sentAt <= now + 86_400 else { throw DomainError.invalidInput("sent_at is outside 1970 … tomorrow") }
        guard (0...Self.maximumMessageBytes).contains(item.size) else { throw DomainError.invalidInput("size is out of range") }
        guard (0...10_000).contains(item.attachmentCount), item.mediaTypes.count <= 200,
              item.mediaTypes.allSatisfy({ (1...128).contains($0.utf8.count) && !$0.contains(",") }) else {
            throw DomainError.invalidInput("attachment count or media types are out of range")
        }
        // A bounce or system notice can have no participants; it is archived all the same.
        guard item.participants.count <= 5000 else { throw DomainError.invalidInput("a message may list at most 5000 participants") }
        guard let r = Data(base64Encoded: item.envelope.ephemeral), let nonce = Data(base64Encoded: item.envelope.nonce),
              let ciphertext = Data(base64Encoded: item.envelope.ciphertext), let hash = Data(base64Encoded: item.envelope.ciphertextHash) else {
            throw DomainError.invalidInput("envelope fields must be base64")
        }
        let header = EnvelopeHeader(uid: item.uid, epoch: item.epoch, platform: platform, sentAt: item.sentAt)
        let envelope = try Envelope(header: header, ephemeralPublic: Ristretto255.Point(bytes: [UInt8](r)), nonce: [UInt8](nonce),
                                    ciphertext: [UInt8](ciphertext), ciphertextHash: [UInt8](hash))
        guard envelope.ciphertext.count == item.size + XChaCha20Poly1305.tagLength else {
            throw DomainError.invalidInput("size does not match the ciphertext length")
        }
        var participants: [ParticipantRecord] = []
        var keys: Set<String> = []
        for p in item.participants {
            guard Self.parts.contains(p.part) else { throw DomainError.invalidInput("participant part must be from, to, cc, bcc or member") }
            let address = MetadataIndexer.normalize(p.address)
            guard (1...512).contains(address.utf8.count), (p.name?.utf8.count ?? 0) <= 512 else {
                throw DomainError.invalidInput("participant address must be 1–512 bytes")
            }
            let token = indexer.participantToken(address)
            guard keys.insert(Hex.encode(token) + p.part).inserted else { continue }
            let display = p.name.map { $0.isEmpty ? address : "\($0) <\(address)>" } ?? address
            participants.append(ParticipantRecord(part: p.part, token: token,
                                                  domainToken: MetadataIndexer.domain(of: address).map(indexer.domainToken),
                                                  display: try indexer.seal(display, purpose: "participant")))
        }
        let conversationToken = indexer.conversationToken(item.conversation)
        return MessageRecord(uid: item.uid, platform: platform, conversationToken: conversationToken,
                             conversationDisplay: try indexer.seal(item.conversation, purpose: "conversation"),
                             direction: item.direction, sentAt: item.sentAt, capturedAt: now, size: item.size,
                             attachmentCount: item.attachmentCount, mediaTypes: item.mediaTypes.joined(separator: ","),
                             retentionClass: assigner.retentionClass(platform: platform, conversationToken: conversationToken), epoch: item.epoch, ciphertextHash: envelope.ciphertextHash,
                             captureTokenID: token.id, participants: participants, header: header.canonicalEncoding,
                             ephemeral: envelope.ephemeralPublic.bytes, nonce: envelope.nonce, ciphertext: envelope.ciphertext)
    }

    static func describe(_ e: CryptoError) -> String {
        switch e {
        case .invalidKey(let m), .invalidInput(let m), .operationFailed(let m): "invalid envelope: \(m)"
        case .authenticationFailed: "invalid envelope"
        }
    }
}

/// The digest an ingest audit entry carries over the messages it stored. Scheme "2" (entries with
/// `digest_scheme: 2`): BLAKE2b-256 of, per message in id order, `id (8 bytes BE) ‖ MessageSeal.rowDigest`.
/// Entries written before seals (no scheme) used `id ‖ BLAKE2b-256(uid) ‖ ciphertext hash`.
public enum ArchiveDigest {
    public static let sealScheme = "2"

    /// Adds one message to a running digest.
    public static func absorb(_ hasher: BLAKE2b.Hasher, id: Int64, seal: [UInt8]) {
        var bytes: [UInt8] = []
        AuditChain.appendInt(id, to: &bytes)
        hasher.update(bytes)
        hasher.update(MessageSeal.rowDigest(id: id, seal: seal))
    }

    /// Adds one message to a running digest of the scheme before seals.
    public static func absorbLegacy(_ hasher: BLAKE2b.Hasher, id: Int64, uid: String, ciphertextHash: [UInt8]) {
        var bytes: [UInt8] = []
        AuditChain.appendInt(id, to: &bytes)
        hasher.update(bytes)
        hasher.update(BLAKE2b.hash(Array(uid.utf8)))
        hasher.update(ciphertextHash)
    }
}
