import CustosCapture
import CustosCore
import CustosCrypto
import Foundation

/// Small synthetic messages for tests that need no corpus.
enum Samples {
    /// An RFC 5322 message numbered `n`, with a subject and body that must never reach the server in clear.
    static func email(_ n: Int, platform: String = "email", sentAt: Int64? = nil, bodyBytes: Int = 0) -> CapturedMessage {
        let text = """
            From: Sender \(n) <sender\(n)@example.com>\r
            To: desk@example.org\r
            Subject: Quarterly numbers \(n)\r
            Date: Tue, 01 Oct 2024 10:00:00 +0000\r
            \r
            Confidential body line number \(n) of the sample message.\r

            """
        let content = Array(text.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: bodyBytes)
        return CapturedMessage(
            uid: "\(platform.lowercased()):" + Hex.encode(BLAKE2b.hash(content)), platform: platform,
            conversation: "<thread-\(n % 3)@example.com>", sentAt: sentAt ?? (1_727_776_800 + Int64(n)),
            participants: [Participant(address: "sender\(n)@example.com", displayName: "Sender \(n)", part: .from, domain: "example.com"),
                           Participant(address: "desk@example.org", part: .to, domain: "example.org")],
            attachmentCount: 0, mediaTypes: [], content: content, source: "sample/\(n).eml")
    }

    /// `count` sample messages as a reader would yield them.
    static func emails(_ count: Int, from start: Int = 0) -> [Result<CapturedMessage, CaptureItemError>] {
        (start..<(start + count)).map { .success(email($0)) }
    }
}
