import CustosCapture
import CustosCore
import CustosCrypto
import Foundation

/// Turns a captured message into an ingest item: metadata in clear, content sealed to the archive key.
///
/// It holds only the archive's public key, so nothing it makes can be opened on the capture side.
public struct EnvelopeWriter: Sendable {
    /// The archive key every envelope is sealed to.
    public let publicKey: ArchivePublicKey

    /// A writer sealing to `publicKey`.
    public init(publicKey: ArchivePublicKey) {
        self.publicKey = publicKey
    }

    /// Seals `message.content` (header: uid, epoch, platform, sent_at) and maps its metadata to the wire format.
    public func item(for message: CapturedMessage) throws -> IngestItem {
        let header = EnvelopeHeader(uid: message.uid, epoch: publicKey.epoch, platform: message.platform, sentAt: message.sentAt)
        let envelope = try Envelope.seal(message.content, header: header, publicKey: publicKey)
        return IngestItem(
            uid: message.uid, epoch: publicKey.epoch, platform: message.platform, conversation: message.conversation,
            // The client cannot tell inbound from outbound without knowing the organisation's domains.
            direction: "unknown", sentAt: message.sentAt, size: message.content.count,
            attachmentCount: message.attachmentCount, mediaTypes: message.mediaTypes,
            participants: message.participants.map {
                IngestParticipant(address: $0.address, name: $0.displayName, part: $0.part.rawValue)
            },
            envelope: IngestEnvelope(
                ephemeral: Self.base64(envelope.ephemeralPublic.bytes), nonce: Self.base64(envelope.nonce),
                ciphertext: Self.base64(envelope.ciphertext), ciphertextHash: Self.base64(envelope.ciphertextHash)))
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
