import CustosCrypto
import Foundation

/// Retention classes and the rules that assign them at capture, for the admin role. A period grows
/// at any time and shrinks only while no message is in its class (the schema refuses it too).
public struct RetentionService: Sendable {
    let archive: Archive
    let indexer: MetadataIndexer

    public init(archive: Archive, indexer: MetadataIndexer) {
        self.archive = archive
        self.indexer = indexer
    }

    /// Longest period accepted: 200 years.
    public static let maximumDays = 73_050

    /// A period typed as an amount and a unit, in days. A year counts 365.25 days rounded up, so
    /// "3 years" never ends before three calendar years have passed.
    public static func days(amount rawAmount: String, unit: String) throws -> Int {
        guard let amount = Int(rawAmount.trimmingCharacters(in: .whitespaces)), amount > 0 else {
            throw DomainError.invalidInput("The period must be a whole number above zero.")
        }
        let days: Int
        switch unit {
        case "days": days = amount
        case "years":
            guard amount <= 200 else { throw DomainError.invalidInput("The longest period is 200 years.") }
            days = amount * 365 + (amount + 3) / 4
        default: throw DomainError.invalidInput("The period's unit must be days or years.")
        }
        guard days <= maximumDays else { throw DomainError.invalidInput("The longest period is 200 years.") }
        return days
    }

    /// The period in words: "7 years (2,557 days)".
    public static func describe(days: Int) -> String {
        let years = (0...200).last { $0 * 365 + ($0 + 3) / 4 <= days } ?? 0
        let exact = years > 0 && years * 365 + (years + 3) / 4 == days
        let n = days.formatted(.number.grouping(.automatic))
        if exact { return "\(years) year\(years == 1 ? "" : "s") (\(n) days)" }
        return days == 1 ? "1 day" : "\(n) days"
    }

    /// Everything the retention page shows.
    public struct Overview: Sendable {
        public var policies: [RetentionPolicy]
        public var rules: [(rule: RetentionRule, value: String)]
        public var runs: [DispositionRunRecord]
        public var disposed: Int
    }

    public func overview(actor: Actor) throws -> Overview {
        try Self.requireAdmin(actor)
        return try archive.read { uow in
            Overview(policies: try uow.retention.policies(),
                     rules: try uow.retention.rules().map { r in
                         (r, r.platform ?? r.display.map { (try? indexer.open($0, purpose: "retention-rule")) ?? "(unreadable)" } ?? "")
                     },
                     runs: try uow.retention.runs(limit: 20), disposed: try uow.retention.disposedCount())
        }
    }

    /// Refuses a period below the archive's minimum, which no administrator can lower.
    static func checkMinimum(_ periodDays: Int, _ uow: any UnitOfWork) throws {
        let minimum = try uow.retention.minimumDays()
        guard periodDays >= minimum else {
            throw DomainError.invalidInput("This archive keeps every message at least \(describe(days: minimum)) (set when it was made, and never "
                + "lowered), so no class can be shorter. Choose \(describe(days: minimum)) or more.")
        }
    }

    /// Adds a class.
    public func createClass(name rawName: String, periodDays: Int, description rawDescription: String, actor: Actor) throws {
        try Self.requireAdmin(actor)
        let name = rawName.trimmingCharacters(in: .whitespaces).lowercased()
        guard (1...40).contains(name.count), name.first?.isLetter == true,
              name.allSatisfy({ ($0.isLetter && $0.isASCII) || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw DomainError.invalidInput("A class name is 1 to 40 letters, digits, '-' or '_', starting with a letter.")
        }
        let description = try Self.checkDescription(rawDescription)
        guard (1...Self.maximumDays).contains(periodDays) else { throw DomainError.invalidInput("The longest period is 200 years.") }
        let now = archive.clock.now()
        try archive.transaction { tx in
            try Self.checkMinimum(periodDays, tx.uow)
            guard try tx.uow.retention.policy(name: name) == nil else { throw DomainError.conflict("There is already a class named “\(name)”.") }
            try tx.uow.retention.createPolicy(name: name, periodDays: periodDays, description: description, at: now)
            try tx.record(actor.draft(.retentionClassCreated, target: "retention:\(name)", details: ["period_days": "\(periodDays)"]))
        }
    }

    /// Changes a class's period (and description). Shortening a class with messages is refused.
    public func setPeriod(name: String, periodDays: Int, description rawDescription: String, actor: Actor) throws {
        try Self.requireAdmin(actor)
        let description = try Self.checkDescription(rawDescription)
        guard (1...Self.maximumDays).contains(periodDays) else { throw DomainError.invalidInput("The longest period is 200 years.") }
        let now = archive.clock.now()
        try archive.transaction { tx in
            try Self.checkMinimum(periodDays, tx.uow)
            guard let p = try tx.uow.retention.policy(name: name) else { throw DomainError.notFound("There is no retention class “\(name)”.") }
            if periodDays < p.periodDays && p.inUse {
                throw DomainError.conflict("The period of “\(name)” cannot be shortened from \(Self.describe(days: p.periodDays)) to "
                    + "\(Self.describe(days: periodDays)): messages are already kept under it, and a period only grows once it has "
                    + "messages (SEC 17a-4 preservation). It can be lengthened, or new messages can go to a new class.")
            }
            try tx.uow.retention.setPeriod(name: name, periodDays: periodDays, description: description, at: now)
            try tx.record(actor.draft(.retentionPeriodChanged, target: "retention:\(name)",
                                      details: ["period_days": "\(periodDays)", "period_days_was": "\(p.periodDays)"]))
        }
    }

    /// Assigns `className` at capture to a platform's messages or to a conversation's.
    public func addRule(kind: RetentionRuleKind, value rawValue: String, className: String, user: User, actor: Actor) throws {
        try Self.requireAdmin(actor)
        let value = rawValue.trimmingCharacters(in: .whitespacesAndNewlines)
        let now = archive.clock.now()
        var platform: String?
        var token: [UInt8]?
        var display: [UInt8]?
        switch kind {
        case .platform:
            let p = value.lowercased()
            guard (1...32).contains(p.count), p.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw DomainError.invalidInput("A platform name is 1 to 32 letters, digits, '_' or '-'.")
            }
            platform = p
        case .conversation:
            guard (1...1024).contains(value.utf8.count) else { throw DomainError.invalidInput("Give the conversation id (1 to 1,024 bytes).") }
            token = indexer.conversationToken(value)
            display = try indexer.seal(value, purpose: "retention-rule")
        }
        try archive.transaction { tx in
            guard try tx.uow.retention.policy(name: className) != nil else { throw DomainError.invalidInput("There is no retention class “\(className)”.") }
            let existing = try tx.uow.retention.rules()
            if existing.contains(where: { $0.kind == kind && ($0.platform == platform && platform != nil || $0.token == token && token != nil) }) {
                throw DomainError.conflict("A rule for that \(kind.rawValue) exists already; remove it first to assign another class.")
            }
            let id = try tx.uow.retention.addRule(kind: kind, platform: platform, token: token, display: display, className: className,
                                                  by: user.id, at: now)
            var details = ["class": className, "kind": kind.rawValue, "rule": "\(id)"]
            if let platform { details["platform"] = platform }
            try tx.record(actor.draft(.retentionRuleAdded, target: "retention:\(className)", details: details))
        }
    }

    /// Removes a rule; messages already captured keep their class.
    public func removeRule(id: Int64, actor: Actor) throws {
        try Self.requireAdmin(actor)
        try archive.transaction { tx in
            guard try tx.uow.retention.deleteRule(id: id) else { throw DomainError.notFound("There is no such rule.") }
            try tx.record(actor.draft(.retentionRuleRemoved, target: "retention-rule:\(id)"))
        }
    }

    static func checkDescription(_ raw: String) throws -> String {
        let d = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard d.count <= 500 else { throw DomainError.invalidInput("Keep the description under 500 characters.") }
        return d
    }

    static func requireAdmin(_ actor: Actor) throws {
        guard actor.role == .admin || actor.userID == nil else {
            throw DomainError.forbidden("Retention policies are managed by an administrator.")
        }
    }
}
