import CustosCrypto

/// The hash chain of DESIGN.md: `hash = BLAKE2b-256(prev_hash ‖ canonical encoding of the row)`.
/// The canonical encoding is unambiguous: integers as 8 big-endian bytes, strings as a 4-byte
/// big-endian length followed by UTF-8, in a fixed field order.
public enum AuditChain {
    /// The `prev_hash` of the first entry.
    public static let genesis = [UInt8](repeating: 0, count: 32)
    /// How often a signed checkpoint is written (every N entries).
    public static let checkpointInterval: Int64 = 64

    /// The canonical encoding of an entry's fields (everything except the two hashes).
    public static func canonicalEncoding(seq: Int64, at: Int64, actor: String, role: String, action: String,
                                         target: String, details: String, client: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + actor.utf8.count + details.utf8.count + target.utf8.count)
        appendInt(seq, to: &out)
        appendInt(at, to: &out)
        for field in [actor, role, action, target, details, client] {
            let bytes = Array(field.utf8)
            appendUInt32(UInt32(bytes.count), to: &out)
            out += bytes
        }
        return out
    }

    /// The hash of an entry given its predecessor's hash.
    public static func hash(prevHash: [UInt8], seq: Int64, at: Int64, actor: String, role: String, action: String,
                            target: String, details: String, client: String) -> [UInt8] {
        let hasher = BLAKE2b.Hasher()
        hasher.update(prevHash)
        hasher.update(canonicalEncoding(seq: seq, at: at, actor: actor, role: role, action: action,
                                        target: target, details: details, client: client))
        return hasher.finalize()
    }

    /// Recomputes the hash of a stored entry from its own fields.
    public static func recompute(_ e: AuditEntry) -> [UInt8] {
        hash(prevHash: e.prevHash, seq: e.seq, at: e.at, actor: e.actor, role: e.role, action: e.action,
             target: e.target, details: e.details, client: e.client)
    }

    /// The bytes a checkpoint signature covers: a domain tag, seq, hash and time.
    public static func checkpointMessage(seq: Int64, hash: [UInt8], at: Int64) -> [UInt8] {
        var out = Array("custos/audit-checkpoint/v1".utf8)
        appendInt(seq, to: &out)
        out += hash
        appendInt(at, to: &out)
        return out
    }

    /// The bytes a signed head (`audit-head.json`, and its anchored copies) covers: a tag of its own, so a
    /// checkpoint's signature can never be passed off as a head's, nor the reverse.
    public static func headMessage(seq: Int64, hash: [UInt8], at: Int64) -> [UInt8] {
        var out = Array("custos/audit-head/v1".utf8)
        appendInt(seq, to: &out)
        out += hash
        appendInt(at, to: &out)
        return out
    }

    static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        let u = UInt64(bitPattern: v)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: u >> UInt64(shift))) }
    }

    static func appendUInt32(_ v: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }
}
