import CustosCrypto

/// Reading content under a live grant. Every message shown is audited first, in the same
/// transaction that checks the grant; if that record cannot be written nothing is decrypted (P7).
extension DecryptionService {
    /// One decrypted message.
    public struct OpenedMessage: Sendable {
        public var messageID: Int64
        public var platform: String
        public var sentAt: Int64
        public var content: [UInt8]
    }

    /// What a viewer may see now: the message, and for chat the granted messages of its conversation.
    public struct OpenedContent: Sendable {
        public var grantID: Int64
        public var expiresAt: Int64
        public var viewedAt: Int64
        public var message: OpenedMessage
        /// Chat: every message of the conversation in the grant (at most `transcriptLimit`), oldest first,
        /// the viewed one included. Empty for email.
        public var transcript: [OpenedMessage]
    }

    /// Most messages shown in one chat transcript.
    public static let transcriptLimit = 200

    /// Opens `messageID` for `user` under its own live grant; `purpose` says how it is shown
    /// ("page" or "download") and goes into the audit entry.
    public func openContent(messageID: Int64, user: User, actor: Actor, purpose: String = "page") throws -> OpenedContent {
        guard actor.role == .auditor, user.roles.contains(.auditor) else {
            throw DomainError.forbidden("Only the auditor who holds a grant can read content.")
        }
        try expireDue()
        let now = archive.clock.now()
        typealias Sealed = SealedMessage
        let opened = try archive.transaction { tx -> (grant: Int64, expires: Int64, main: Sealed, transcript: [Sealed])? in
            guard try tx.uow.search.message(id: messageID) != nil else { throw DomainError.notFound("There is no message with that number.") }
            guard let grant = try tx.uow.decryption.liveGrant(requesterID: user.id, messageID: messageID, now: now),
                  let record = try tx.uow.decryption.find(id: grant), let expires = record.expiresAt else {
                try tx.record(actor.draft(.contentRefused, target: "message:\(messageID)", details: ["reason": "no live grant"]))
                return nil
            }
            func load(_ id: Int64) throws -> Sealed {
                guard let envelope = try tx.uow.decryption.envelope(messageID: id), let m = try tx.uow.search.message(id: id),
                      let key = try tx.uow.decryption.grantKey(requestID: grant, messageID: id) else {
                    throw DomainError.notFound("Message \(id) is not available under this grant.")
                }
                return Sealed(envelope: envelope, sentAt: m.sentAt, key: key)
            }
            let main = try load(messageID)
            var transcript: [Sealed] = []
            if main.envelope.platform != "email" {
                let ids = try tx.uow.decryption.grantedMessages(requestID: grant, conversation: main.envelope.conversationToken,
                                                                limit: Self.transcriptLimit)
                transcript = try ids.map { $0 == messageID ? main : try load($0) }
            }
            let shown = transcript.isEmpty ? [main] : transcript
            for item in shown {
                try tx.record(actor.draft(.contentViewed, target: "message:\(item.envelope.messageID)",
                                          details: ["grant": "request:\(grant)", "as": purpose,
                                                    "viewed_message": "\(messageID)", "at": "\(now)"]))
            }
            return (grant, expires, main, transcript)
        }
        guard let opened else {
            throw DomainError.forbidden("You have no live grant for this message. File a decryption request; it needs the approval of key custodians.")
        }
        let decrypt = { (s: Sealed) in try self.open(s, grant: opened.grant) }
        let main = try decrypt(opened.main)
        let transcript = try opened.transcript.map { $0.envelope.messageID == messageID ? main : try decrypt($0) }
        return OpenedContent(grantID: opened.grant, expiresAt: opened.expires, viewedAt: now, message: main, transcript: transcript)
    }

    /// Decrypts every message of grant `requestID` for its requester while it is live, to build the grant's content
    /// search index; nothing is shown, and one audit entry records it before anything is decrypted (P7).
    public func openGrant(requestID: Int64, user: User, actor: Actor) throws -> (expiresAt: Int64, messages: [OpenedMessage]) {
        guard actor.role == .auditor, user.roles.contains(.auditor) else {
            throw DomainError.forbidden("Only the auditor who holds a grant can search its content.")
        }
        let now = archive.clock.now()
        let loaded = try archive.transaction { tx -> (Int64, [SealedMessage])? in
            guard let r = try tx.uow.decryption.find(id: requestID), r.requesterID == user.id else {
                throw DomainError.notFound("There is no grant with that number of yours.")
            }
            guard r.status == .granted, let expires = r.expiresAt, expires > now else {
                try tx.record(actor.draft(.contentRefused, target: "request:\(requestID)", details: ["reason": "no live grant", "for": "search"]))
                return nil
            }
            var sealed: [SealedMessage] = []
            for id in try tx.uow.decryption.messageIDs(requestID: requestID) {
                guard let envelope = try tx.uow.decryption.envelope(messageID: id), let m = try tx.uow.search.message(id: id),
                      let key = try tx.uow.decryption.grantKey(requestID: requestID, messageID: id) else { continue }
                sealed.append(SealedMessage(envelope: envelope, sentAt: m.sentAt, key: key))
            }
            try tx.record(actor.draft(.grantIndexed, target: "request:\(requestID)", details: ["messages": "\(sealed.count)", "at": "\(now)"]))
            return (expires, sealed)
        }
        guard let (expires, sealed) = loaded else {
            throw DomainError.forbidden("This grant is not live, so its content cannot be searched.")
        }
        return (expires, try sealed.map { try open($0, grant: requestID) })
    }

    /// An envelope with its grant's sealed message key, as read in the transaction that audits the reading.
    struct SealedMessage {
        var envelope: StoredEnvelope
        var sentAt: Int64
        var key: [UInt8]
    }

    /// Opens one message with its grant's key; the key is wiped as soon as the envelope is open.
    private func open(_ s: SealedMessage, grant: Int64) throws -> OpenedMessage {
        var key = try vault.openMessageKey(s.key, requestID: grant, messageID: s.envelope.messageID)
        defer { Sodium.wipe(&key) }
        let envelope = try Envelope(header: EnvelopeHeader(canonicalEncoding: s.envelope.header),
                                    ephemeralPublic: Ristretto255.Point(bytes: s.envelope.ephemeral), nonce: s.envelope.nonce,
                                    ciphertext: s.envelope.ciphertext, ciphertextHash: s.envelope.ciphertextHash)
        return OpenedMessage(messageID: s.envelope.messageID, platform: s.envelope.platform, sentAt: s.sentAt,
                             content: try envelope.open(messageKey: key))
    }
}
