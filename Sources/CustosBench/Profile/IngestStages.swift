import CustosCore
import CustosCrypto
import CustosStore
import Foundation

/// The per-item work of `IngestService.record(for:…)` and its transaction split into stages, each run
/// over a whole batch and timed on its own with the same public calls the server makes. Returns the
/// records the server would build, so the repository's inserts can be timed too.
enum IngestStages {
    /// Everything a stage needs from the archive under test.
    struct Tools {
        let indexer: MetadataIndexer
        /// The blind index itself, to time keyed BLAKE2b without the indexer's normalisation.
        let blind: BlindIndex
        let database: Database
        let tokenID: Int64
    }

    /// Times every stage for `items`; nothing is stored in the archive.
    static func measure(_ items: [IngestItem], tools t: Tools, into stages: inout StageTimes) throws -> [MessageRecord] {
        let raw = try stages.time(.base64) {
            try items.map { item -> (r: [UInt8], nonce: [UInt8], ciphertext: [UInt8], hash: [UInt8]) in
                guard let r = Data(base64Encoded: item.envelope.ephemeral), let nonce = Data(base64Encoded: item.envelope.nonce),
                      let c = Data(base64Encoded: item.envelope.ciphertext), let h = Data(base64Encoded: item.envelope.ciphertextHash) else {
                    throw BenchError("a forged envelope is not base64")
                }
                return ([UInt8](r), [UInt8](nonce), [UInt8](c), [UInt8](h))
            }
        }
        let points = try stages.time(.point) { try raw.map { try Ristretto255.Point(bytes: $0.r) } }
        let headers = items.map { EnvelopeHeader(uid: $0.uid, epoch: $0.epoch, platform: $0.platform, sentAt: $0.sentAt) }
        let envelopes = try stages.time(.envelope) {
            try zip(headers, zip(points, raw)).map { header, pr in
                try Envelope(header: header, ephemeralPublic: pr.0, nonce: pr.1.nonce, ciphertext: pr.1.ciphertext, ciphertextHash: pr.1.hash)
            }
        }
        let encodedHeaders = stages.time(.header) { headers.map(\.canonicalEncoding) }
        let addresses = stages.time(.normalize) { items.map { $0.participants.map { MetadataIndexer.normalize($0.address) } } }
        let tokens = stages.time(.blindIndex) {
            zip(items, addresses).map { item, normalized in
                (conversation: t.indexer.conversationToken(item.conversation),
                 participants: normalized.map { ($0, t.indexer.participantToken($0), MetadataIndexer.domain(of: $0).map(t.indexer.domainToken)) })
            }
        }
        _ = stages.time(.blake2bOnly) {
            zip(items, addresses).map { item, normalized in
                [t.blind.token(.conversation, item.conversation)] + normalized.flatMap { a in
                    [t.blind.token(.participant, a)] + (MetadataIndexer.domain(of: a).map { [t.blind.token(.domain, $0)] } ?? [])
                }
            }
        }
        let sealed = try stages.time(.sealDisplay) {
            try zip(items, addresses).map { item, normalized in
                (conversation: try t.indexer.seal(item.conversation, purpose: "conversation"),
                 participants: try zip(item.participants, normalized).map { p, a in
                     try t.indexer.seal(p.name.map { $0.isEmpty ? a : "\($0) <\(a)>" } ?? a, purpose: "participant")
                 })
            }
        }
        _ = try stages.time(.lookup) {
            try t.database.write { conn in try items.map { try conn.queryOne("SELECT id FROM messages WHERE uid = ?", $0.uid) } }
        }
        let now = Int64(Date().timeIntervalSince1970)
        let records = items.indices.map { i in
            let item = items[i]
            let participants = item.participants.indices.map { j in
                ParticipantRecord(part: item.participants[j].part, token: tokens[i].participants[j].1,
                                  domainToken: tokens[i].participants[j].2, display: sealed[i].participants[j])
            }
            return MessageRecord(uid: item.uid, platform: item.platform, conversationToken: tokens[i].conversation,
                                 conversationDisplay: sealed[i].conversation, direction: item.direction, sentAt: item.sentAt,
                                 capturedAt: now, size: item.size, attachmentCount: item.attachmentCount,
                                 mediaTypes: item.mediaTypes.joined(separator: ","), retentionClass: "default", epoch: item.epoch,
                                 ciphertextHash: envelopes[i].ciphertextHash, captureTokenID: t.tokenID, participants: participants,
                                 header: encodedHeaders[i], ephemeral: envelopes[i].ephemeralPublic.bytes, nonce: envelopes[i].nonce,
                                 ciphertext: envelopes[i].ciphertext)
        }
        // MessageRecord.init made each seal already (as the server's does); timed again here on its own.
        _ = stages.time(.messageSeal) { records.map { MessageSeal.seal($0.facts) } }
        return records
    }
}
