/// Writes `POST /api/v1/messages` bodies (IngestWire.swift's JSON) straight into bytes. JSONEncoder
/// would take minutes for a million messages; this takes seconds, and `CorpusSpool` checks one
/// batch against the real `IngestRequest` decoder before anything is timed.
struct BatchWriter {
    private(set) var bytes: [UInt8] = []
    private var first = true

    /// Starts a batch body sized for about `capacity` bytes.
    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        raw(#"{"messages":["#)
    }

    /// Appends one item.
    mutating func append(_ m: SyntheticMessage, envelope e: ForgedEnvelope, epoch: Int) {
        raw(first ? "{" : ",{")
        first = false
        raw(#""uid":"#); string(m.uid)
        raw(#","epoch":"#); raw(String(epoch))
        raw(#","platform":"#); string(m.platform)
        raw(#","conversation":"#); string(m.conversation)
        raw(#","direction":"#); string(m.direction)
        raw(#","sent_at":"#); raw(String(m.sentAt))
        raw(#","size":"#); raw(String(m.size))
        raw(#","attachment_count":"#); raw(String(m.mediaTypes.count))
        raw(#","media_types":["#)
        for (i, t) in m.mediaTypes.enumerated() {
            if i > 0 { raw(",") }
            string(t)
        }
        raw(#"],"participants":["#)
        for (i, p) in m.participants.enumerated() {
            raw(i == 0 ? #"{"address":"# : #",{"address":"#); string(p.address)
            if let name = p.name { raw(#","name":"#); string(name) }
            raw(#","part":"#); string(p.part)
            raw("}")
        }
        raw(#"],"envelope":{"ephemeral":""#); base64(e.ephemeral)
        raw(#"","nonce":""#); base64(e.nonce)
        raw(#"","ciphertext":""#); base64(e.ciphertext)
        raw(#"","ciphertext_hash":""#); base64(e.ciphertextHash)
        raw(#""}}"#)
    }

    /// Closes the batch and hands over its bytes.
    mutating func finish() -> [UInt8] {
        raw("]}")
        return bytes
    }

    private mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// A JSON string; the corpus's strings are ASCII, but quotes, backslashes and controls are escaped anyway.
    private mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(b)
            case 0..<0x20:
                let hex = Self.hexDigits
                bytes.append(contentsOf: Array(#"\u00"#.utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)]])
            default:
                bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding, as `Data(base64Encoded:)` expects.
    private mutating func base64(_ data: [UInt8]) {
        let table = Self.alphabet
        var i = 0
        let n = data.count
        while i + 3 <= n {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            bytes.append(table[Int(v >> 18 & 63)])
            bytes.append(table[Int(v >> 12 & 63)])
            bytes.append(table[Int(v >> 6 & 63)])
            bytes.append(table[Int(v & 63)])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(data[i]) << 16
            bytes.append(table[Int(v >> 18 & 63)])
            bytes.append(table[Int(v >> 12 & 63)])
            bytes.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        } else if n - i == 2 {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
            bytes.append(table[Int(v >> 18 & 63)])
            bytes.append(table[Int(v >> 12 & 63)])
            bytes.append(table[Int(v >> 6 & 63)])
            bytes.append(UInt8(ascii: "="))
        }
    }
}
