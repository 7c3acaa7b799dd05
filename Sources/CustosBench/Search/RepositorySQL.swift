import CustosCore
import CustosStore

/// The SQL that `SQLSearchRepository` issues for the benchmark's filters (participant with or without a
/// part, domain, platform, date range, keyset cursor), written out from the same constant fragments with the
/// same bound values, so the baseline runs the same statements directly. The benchmark checks that both
/// return the same rows, so a change to the repository that this copy misses shows up as a failed check.
struct RepositorySQL {
    /// FROM … WHERE … for the criteria.
    let from: String
    /// The bound values of `from`, in order.
    let values: [DirectValue]

    static let columns = """
        m.id, m.uid, m.platform, m.conversation, m.conversation_display, m.direction, m.sent_at, m.captured_at, m.size, \
        m.attachment_count, m.media_types, m.retention_class, m.epoch, m.ciphertext_hash, \
        (SELECT disposed_at FROM disposals dz WHERE dz.message_id = m.id)
        """

    /// The column that orders by time and the one that identifies the message.
    let time: String
    let id: String

    init(_ c: SearchCriteria, cursor: Bool) throws {
        var conditions: [String] = []
        var values: [DirectValue] = []
        let driven = c.participantToken != nil || c.domainToken != nil
        time = driven ? "d.sent_at" : "m.sent_at"
        id = driven ? "d.message_id" : "m.id"
        if let token = c.participantToken {
            conditions.append("d.token = ?")
            values.append(.blob(token))
            if let part = c.part {
                conditions.append("d.part = ?")
                values.append(.text(part))
            }
            guard c.domainToken == nil else { throw BenchError("the benchmark does not search participant and domain together") }
        } else if let domain = c.domainToken {
            conditions.append("d.domain_token = ?")
            values.append(.blob(domain))
        }
        guard c.conversationToken == nil, c.attachments == nil, c.retentionClass == nil else {
            throw BenchError("the benchmark's copy of the repository SQL covers participant, domain, platform, dates and cursor only")
        }
        if let platform = c.platform {
            conditions.append("m.platform = ?")
            values.append(.text(platform))
        }
        if let f = c.from {
            conditions.append(time + " >= ?")
            values.append(.integer(f))
        }
        if let u = c.until {
            conditions.append(time + " < ?")
            values.append(.integer(u))
        }
        if cursor, let k = c.cursor {
            conditions.append(time + " <= ?")
            conditions.append("(" + time + " < ? OR (" + time + " = ? AND " + id + " < ?))")
            values += [.integer(k.sentAt), .integer(k.sentAt), .integer(k.sentAt), .integer(k.id)]
        }
        let from = !driven ? "messages m"
            : c.platform != nil ? "message_participants d JOIN messages m ON m.id = d.message_id" : "message_participants d"
        self.from = "FROM " + from + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
        self.values = values
    }

    /// The page query of a participant or domain search: distinct (time, id) pairs in index order, then the rows.
    var page: String {
        "SELECT " + Self.columns + " FROM (SELECT DISTINCT d.sent_at AS st, d.message_id AS mid " + from
            + " ORDER BY st DESC, mid DESC LIMIT ?) k JOIN messages m ON m.id = k.mid ORDER BY k.st DESC, k.mid DESC"
    }

    /// The total of a participant or domain search.
    var count: String { "SELECT count(DISTINCT " + id + ") " + from }

    /// Counts by platform and by month of the matching messages.
    func facets(_ dialect: SQLDialect) -> [String] {
        let inner = "SELECT DISTINCT " + id + " AS id, " + time + " AS sent_at " + from
        return ["SELECT m.platform, count(*) FROM (" + inner + ") k JOIN messages m ON m.id = k.id GROUP BY m.platform ORDER BY 2 DESC",
                "SELECT " + Self.month("sent_at", dialect) + ", count(*) FROM (" + inner + ") k GROUP BY 1 ORDER BY 1"]
    }

    /// The whole-archive facets, from the aggregates kept at ingest.
    static let archiveFacets = ["SELECT platform, CAST(sum(count) AS BIGINT) FROM message_counts GROUP BY platform ORDER BY 2 DESC",
                                "SELECT month, CAST(sum(count) AS BIGINT) FROM message_counts GROUP BY month ORDER BY month"]

    /// The same counts by scanning every message: what the aggregates save.
    static func scanFacets(_ dialect: SQLDialect) -> [String] {
        ["SELECT platform, count(*) FROM messages GROUP BY platform ORDER BY 2 DESC",
         "SELECT " + month("sent_at", dialect) + ", count(*) FROM messages GROUP BY 1 ORDER BY 1"]
    }

    /// The UTC month ("2024-05") of a column of seconds, as `SQLDialect.utcMonth` spells it for each engine.
    static func month(_ column: String, _ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: return "strftime('%Y-%m', \(column), 'unixepoch')"
        case .postgres: return "to_char(to_timestamp(\(column)) AT TIME ZONE 'UTC', 'YYYY-MM')"
        }
    }
}
