import Foundation

/// What an auditor asked for, parsed from the shareable `/search` query string and validated.
/// Values a person typed are kept as typed (for re-display, escaped) and never reach SQL as text.
public struct SearchQuery: Sendable, Equatable {
    /// Which participant part a participant filter applies to.
    public enum Part: String, Sendable, CaseIterable { case any, from, to, cc, bcc, member }

    public var participant: String?
    public var part: Part = .any
    public var domain: String?
    public var after: String?
    public var before: String?
    public var platform: String?
    public var conversation: String?
    public var attachments: Bool?
    public var retentionClass: String?
    /// Messages an active hold covers (`hold=any`), or the scope of one hold (`hold=N`, released ones too).
    public var hold: HoldFilter?
    /// Messages the active holds of a matter cover.
    public var matter: Int64?
    public var cursor: SearchCursor?

    /// What a `hold` filter asks for.
    public enum HoldFilter: Sendable, Equatable {
        case any
        case id(Int64)

        var parameter: String {
            switch self {
            case .any: "any"
            case .id(let id): String(id)
            }
        }
    }

    public init() {}

    /// Parameters the query string may carry; anything else is refused so typos do not silently widen a search.
    public static let parameterNames: Set<String> = [
        "participant", "part", "domain", "after", "before", "platform", "conversation", "attachments",
        "retention", "hold", "matter", "cursor",
    ]

    /// Parses and validates query parameters; throws `DomainError.invalidInput` naming the problem.
    public static func parse(_ params: [(String, String)]) throws -> SearchQuery {
        var q = SearchQuery()
        guard params.count <= 32 else { throw DomainError.invalidInput("Too many search parameters.") }
        for (name, raw) in params {
            guard parameterNames.contains(name) else { throw DomainError.invalidInput("Unknown search parameter “\(name)”.") }
            let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard value.utf8.count <= 512 else { throw DomainError.invalidInput("The \(name) filter is too long (512 bytes at most).") }
            if value.isEmpty { continue }
            switch name {
            case "participant": q.participant = value
            case "part":
                guard let p = Part(rawValue: value) else { throw DomainError.invalidInput("Part must be any, from, to, cc, bcc or member.") }
                q.part = p
            case "domain": q.domain = value.hasPrefix("@") ? String(value.dropFirst()) : value
            case "after": _ = try day(value, "From date"); q.after = value
            case "before": _ = try day(value, "To date"); q.before = value
            case "platform":
                guard value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), value.count <= 32 else {
                    throw DomainError.invalidInput("Unknown platform “\(value)”.")
                }
                q.platform = value.lowercased()
            case "conversation": q.conversation = value
            case "attachments":
                switch value {
                case "yes": q.attachments = true
                case "no": q.attachments = false
                case "any": q.attachments = nil
                default: throw DomainError.invalidInput("Attachments must be yes, no or any.")
                }
            case "retention": q.retentionClass = value
            case "hold":
                if value == "any" {
                    q.hold = .any
                } else {
                    guard let id = Int64(value), id > 0 else { throw DomainError.invalidInput("Hold must be “any” or a hold number.") }
                    q.hold = .id(id)
                }
            case "matter":
                guard let id = Int64(value), id > 0 else { throw DomainError.invalidInput("Matter must be a matter number.") }
                q.matter = id
            case "cursor":
                guard let c = SearchCursor(encoded: value) else { throw DomainError.invalidInput("The page link is not valid; start the search again.") }
                q.cursor = c
            default: break
            }
        }
        if let a = q.afterSeconds, let b = q.beforeSeconds, a >= b {
            throw DomainError.invalidInput("The From date is after the To date.")
        }
        return q
    }

    /// Start of the `after` day, UTC.
    public var afterSeconds: Int64? { after.flatMap { try? Self.day($0, "") } }
    /// End of the `before` day (exclusive), UTC: the To date is included.
    public var beforeSeconds: Int64? { before.flatMap { try? Self.day($0, "") }.map { $0 + 86_400 } }

    /// Whether no filter is set (the whole archive).
    public var isUnfiltered: Bool {
        participant == nil && domain == nil && after == nil && before == nil && platform == nil && conversation == nil
            && attachments == nil && retentionClass == nil && hold == nil && matter == nil
    }

    /// The filters as query parameters, in a stable order, without the cursor.
    public var parameters: [(String, String)] {
        var p: [(String, String)] = []
        if let participant { p.append(("participant", participant)) }
        if part != .any { p.append(("part", part.rawValue)) }
        if let domain { p.append(("domain", domain)) }
        if let after { p.append(("after", after)) }
        if let before { p.append(("before", before)) }
        if let platform { p.append(("platform", platform)) }
        if let conversation { p.append(("conversation", conversation)) }
        if let attachments { p.append(("attachments", attachments ? "yes" : "no")) }
        if let retentionClass { p.append(("retention", retentionClass)) }
        if let hold { p.append(("hold", hold.parameter)) }
        if let matter { p.append(("matter", String(matter))) }
        return p
    }

    /// Parses YYYY-MM-DD to unix seconds at 00:00 UTC, or throws a message naming the field.
    public static func day(_ s: String, _ label: String) throws -> Int64 {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1970...2200).contains(y), (1...12).contains(m), (1...daysIn(month: m, year: y)).contains(d) else {
            throw DomainError.invalidInput("\(label) must be a real date written YYYY-MM-DD.")
        }
        return daysFromCivil(y, m, d) * 86_400
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468)
    }
}

/// A keyset position: results continue strictly before (sentAt, id).
public struct SearchCursor: Sendable, Equatable {
    public var sentAt: Int64
    public var id: Int64

    public init(sentAt: Int64, id: Int64) {
        self.sentAt = sentAt
        self.id = id
    }

    /// Parses "sentAt.id".
    public init?(encoded: String) {
        let parts = encoded.split(separator: ".")
        guard parts.count == 2, let s = Int64(parts[0]), let i = Int64(parts[1]), s >= 0, i > 0 else { return nil }
        sentAt = s
        id = i
    }

    public var encoded: String { "\(sentAt).\(id)" }
}
