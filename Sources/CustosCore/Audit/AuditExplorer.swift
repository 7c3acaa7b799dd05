import CustosCrypto
import Foundation

/// What the audit explorer asks for: any combination of actor, role, action, target and days.
public struct AuditQuery: Sendable, Equatable {
    public var actor: String?
    public var role: String?
    public var action: String?
    /// An exact target (`request:12`), or a prefix ending in `*` (`hold:*`).
    public var target: String?
    public var after: String?
    public var before: String?
    /// Keyset position: entries strictly older than (at, seq).
    public var cursor: SearchCursor?

    public init() {}

    public static let parameterNames: Set<String> = ["actor", "role", "action", "target", "after", "before", "cursor"]

    /// Parses query parameters; throws `DomainError.invalidInput` naming the problem.
    public static func parse(_ params: [(String, String)]) throws -> AuditQuery {
        var q = AuditQuery()
        guard params.count <= 16 else { throw DomainError.invalidInput("Too many parameters.") }
        for (name, raw) in params {
            guard parameterNames.contains(name) else { throw DomainError.invalidInput("Unknown audit filter “\(name)”.") }
            let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard value.utf8.count <= 256 else { throw DomainError.invalidInput("The \(name) filter is too long.") }
            if value.isEmpty { continue }
            switch name {
            case "actor": q.actor = value
            case "role":
                guard Role(rawValue: value) != nil || ["none", "capture"].contains(value) else {
                    throw DomainError.invalidInput("Unknown role “\(value)”.")
                }
                q.role = value
            case "action":
                guard AuditAction(rawValue: value) != nil else { throw DomainError.invalidInput("Unknown action “\(value)”.") }
                q.action = value
            case "target": q.target = value
            case "after": _ = try SearchQuery.day(value, "From date"); q.after = value
            case "before": _ = try SearchQuery.day(value, "To date"); q.before = value
            case "cursor":
                guard let c = SearchCursor(encoded: value) else { throw DomainError.invalidInput("The page link is not valid; start again.") }
                q.cursor = c
            default: break
            }
        }
        return q
    }

    public var afterSeconds: Int64? { after.flatMap { try? SearchQuery.day($0, "") } }
    public var beforeSeconds: Int64? { before.flatMap { try? SearchQuery.day($0, "") }.map { $0 + 86_400 } }

    /// The filters as query parameters, without the cursor.
    public var parameters: [(String, String)] {
        var p: [(String, String)] = []
        if let actor { p.append(("actor", actor)) }
        if let role { p.append(("role", role)) }
        if let action { p.append(("action", action)) }
        if let target { p.append(("target", target)) }
        if let after { p.append(("after", after)) }
        if let before { p.append(("before", before)) }
        return p
    }
}

/// Security's view of the audit log: filtered pages newest first, one entry with the checkpoint that
/// seals it, exports with hashes (to anchor the head outside), all of them audited themselves.
public struct AuditExplorer: Sendable {
    let archive: Archive

    public init(archive: Archive) {
        self.archive = archive
    }

    public static let pageSize = 100
    /// Most entries one export holds.
    public static let exportLimit = 100_000

    /// A page of entries and the state of the chain.
    public struct Page: Sendable {
        public var entries: [AuditEntry]
        public var next: SearchCursor?
        public var head: AuditEntry?
        public var lastCheckpoint: AuditCheckpoint?
    }

    public func page(_ q: AuditQuery, actor: Actor) throws -> Page {
        try Self.requireSecurity(actor)
        let page = try archive.read { uow -> Page in
            let rows = try uow.audit.search(q, limit: Self.pageSize + 1)
            let shown = Array(rows.prefix(Self.pageSize))
            return Page(entries: shown, next: rows.count > Self.pageSize ? shown.last.map { SearchCursor(sentAt: $0.at, id: $0.seq) } : nil,
                        head: try uow.audit.last(), lastCheckpoint: try uow.audit.lastCheckpoint())
        }
        try archive.record(actor.draft(.auditViewed, target: "audit", details: Self.details(q, results: page.entries.count)))
        return page
    }

    /// One entry and the first signed checkpoint at or after it (nil while none seals it yet). Looking is audited,
    /// found or not, before anything is shown (an entry's details can name people).
    public func entry(seq: Int64, actor: Actor) throws -> (entry: AuditEntry, checkpoint: AuditCheckpoint?) {
        try Self.requireSecurity(actor)
        let found = try archive.read { uow -> (AuditEntry, AuditCheckpoint?)? in
            guard let e = try uow.audit.entry(seq: seq) else { return nil }
            return (e, try uow.audit.checkpoint(atOrAfter: seq))
        }
        try archive.record(actor.draft(.auditViewed, target: "audit:\(seq)", details: ["found": found == nil ? "no" : "yes"]))
        guard let found else { throw DomainError.notFound("There is no audit entry number \(seq).") }
        return found
    }

    /// The matching entries, oldest first, as CSV or JSON lines, each with its previous hash and hash
    /// (hex), so the chain can be recomputed and the head anchored outside. Audited with its row count.
    public func export(_ q: AuditQuery, jsonLines: Bool, actor: Actor) throws -> (text: String, rows: Int, truncated: Bool) {
        try Self.requireSecurity(actor)
        var all = q
        all.cursor = nil
        let rows = try archive.read { try $0.audit.search(all, limit: Self.exportLimit + 1) }
        let kept = Array(rows.prefix(Self.exportLimit).reversed())
        var out = jsonLines ? "" : "seq,at_utc,actor,role,action,target,details,client,prev_hash,hash\r\n"
        for e in kept {
            if jsonLines {
                out += CanonicalJSON.object([
                    "seq": String(e.seq), "at": ISO8601.format(e.at), "actor": e.actor, "role": e.role, "action": e.action,
                    "target": e.target, "details": e.details, "client": e.client,
                    "prev_hash": Hex.encode(e.prevHash), "hash": Hex.encode(e.hash),
                ]) + "\n"
            } else {
                out += [String(e.seq), ISO8601.format(e.at), e.actor, e.role, e.action, e.target, e.details, e.client,
                        Hex.encode(e.prevHash), Hex.encode(e.hash)].map(CSV.field).joined(separator: ",") + "\r\n"
            }
        }
        var details = Self.details(q, results: kept.count)
        details["format"] = jsonLines ? "jsonl" : "csv"
        details["truncated"] = rows.count > Self.exportLimit ? "yes" : "no"
        try archive.record(actor.draft(.auditExported, target: "audit", details: details))
        return (out, kept.count, rows.count > Self.exportLimit)
    }

    /// Records a verification someone ran, with its outcome.
    public func recordVerification(ok: Bool, entries: Int64, messages: Int64, failure: String?, actor: Actor) throws {
        var details = ["ok": ok ? "yes" : "no", "entries": "\(entries)", "messages": "\(messages)"]
        if let failure { details["failure"] = String(failure.prefix(300)) }
        try archive.record(actor.draft(.verificationRun, target: "audit", details: details))
    }

    static func details(_ q: AuditQuery, results: Int) -> [String: String] {
        var d = ["results": String(results), "page": q.cursor == nil ? "first" : "next"]
        for (k, v) in q.parameters { d[k] = v }
        return d
    }

    static func requireSecurity(_ actor: Actor) throws {
        guard actor.role == .security else { throw DomainError.forbidden("The audit log is for the security role.") }
    }
}
