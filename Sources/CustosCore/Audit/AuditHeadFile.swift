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

    /// Writes the checkpoint to `path` via a temporary file (this process's own) and rename, mode 0600.
    ///
    /// Not fsynced: the database's own commits are not either (WAL with synchronous=NORMAL), so syncing the head
    /// after every commit bought no durability the log has, while each fsync (milliseconds on a VM disk) held
    /// the anchor's lock and queued every audited request behind it. After a power loss the head is the old or
    /// the new file, never half of one (rename), and may be behind or ahead of the log by the last commits.
    public static func write(_ c: AuditCheckpoint, to path: String) throws {
        let stored = Stored(seq: c.seq, at: c.at, hash: Hex.encode(c.hash), signature: Hex.encode(c.signature))
        let data = try JSONEncoder().encode(stored)
        let tmp = path + ".tmp-" + String(getpid())
        guard writeFile(tmp, data) else {
            unlink(tmp)
            throw DomainError.auditUnavailable
        }
        // rename(2) replaces the old head atomically, so a reader never sees half a file.
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw DomainError.auditUnavailable
        }
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

/// Creates or truncates `path` with mode 0600 and writes all of `data` to it.
private func writeFile(_ path: String, _ data: Data) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    guard fchmod(fd, 0o600) == 0 else { return false }
    return data.withUnsafeBytes { bytes in
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }
}
