import CustosCrypto
import Foundation

/// Reads and writes the signed head file (`audit-head.json`) atomically.
public enum AuditHeadFile {
    /// The file name inside the data directory.
    public static let fileName = "audit-head.json"

    struct Stored: Codable {
        var seq: Int64
        var at: Int64
        var hash: String
        var signature: String
    }

    /// Writes the checkpoint to `path` via a temporary file and rename, mode 0600.
    public static func write(_ c: AuditCheckpoint, to path: String) throws {
        let stored = Stored(seq: c.seq, at: c.at, hash: Hex.encode(c.hash), signature: Hex.encode(c.signature))
        let data = try JSONEncoder().encode(stored)
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw DomainError.auditUnavailable
        }
        // rename(2) replaces the old head atomically, so a reader never sees half a file.
        guard rename(tmp, path) == 0 else { throw DomainError.auditUnavailable }
    }

    /// Reads the checkpoint at `path`, nil when there is none.
    public static func read(from path: String) throws -> AuditCheckpoint? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let s = try JSONDecoder().decode(Stored.self, from: data)
        guard let hash = Hex.decode(s.hash), let sig = Hex.decode(s.signature) else {
            throw DomainError.invalidInput("audit head file is malformed")
        }
        return AuditCheckpoint(seq: s.seq, at: s.at, hash: hash, signature: sig)
    }
}

/// Lower-case hexadecimal.
public enum Hex {
    /// Encodes bytes as lower-case hex.
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex (either case); nil when malformed.
    public static func decode(_ s: String) -> [UInt8]? {
        let chars = Array(s.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}
