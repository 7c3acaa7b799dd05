/// What happened, by whom, to what — before it is chained.
public struct AuditDraft: Sendable, Equatable {
    public var actor: String
    public var role: String
    public var action: AuditAction
    public var target: String
    /// Compact JSON object; never content, secrets or participant addresses.
    public var details: String
    public var client: String

    public init(actor: String, role: String, action: AuditAction, target: String = "",
                details: [String: String] = [:], client: String = "") {
        self.actor = actor
        self.role = role
        self.action = action
        self.target = target
        self.details = CanonicalJSON.object(details)
        self.client = client
    }
}

/// One appended, chained audit entry.
public struct AuditEntry: Sendable, Equatable {
    public var seq: Int64
    public var at: Int64
    public var actor: String
    public var role: String
    public var action: String
    public var target: String
    public var details: String
    public var client: String
    public var prevHash: [UInt8]
    public var hash: [UInt8]

    public init(seq: Int64, at: Int64, actor: String, role: String, action: String, target: String,
                details: String, client: String, prevHash: [UInt8], hash: [UInt8]) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.role = role
        self.action = action
        self.target = target
        self.details = details
        self.client = client
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// A signed statement that the chain had `hash` at `seq` at time `at`.
public struct AuditCheckpoint: Sendable, Equatable, Codable {
    public var seq: Int64
    public var at: Int64
    public var hash: [UInt8]
    public var signature: [UInt8]

    public init(seq: Int64, at: Int64, hash: [UInt8], signature: [UInt8]) {
        self.seq = seq
        self.at = at
        self.hash = hash
        self.signature = signature
    }
}

/// Every kind of audited action. The raw value is what the log stores.
public enum AuditAction: String, Sendable, CaseIterable {
    case loginSucceeded = "login.succeeded"
    case loginFailed = "login.failed"
    case loginThrottled = "login.throttled"
    case totpVerified = "login.totp_verified"
    case totpFailed = "login.totp_failed"
    case logout = "logout"
    case sessionExpired = "session.expired"
    case roleSwitched = "session.role_switched"
    case passwordChanged = "account.password_changed"
    case passwordCheckFailed = "account.password_check_failed"
    case totpEnrolled = "account.totp_enrolled"
    case userCreated = "user.created"
    case userDisabled = "user.disabled"
    case userEnabled = "user.enabled"
    case rolesChanged = "user.roles_changed"
    case oneTimePasswordIssued = "user.one_time_password_issued"
    case systemInitialized = "system.initialized"
    case verificationRun = "audit.verified"
    case auditViewed = "audit.viewed"
    case auditExported = "audit.exported"
    case reportGenerated = "report.generated"
    case keyCeremonyProposed = "keys.ceremony_proposed"
    case keyCeremonyStep = "keys.ceremony_step"
    case keyComplaintRefused = "keys.complaint_refused"
    case keyCeremonyFailed = "keys.ceremony_failed"
    case keyCeremonyCancelled = "keys.ceremony_cancelled"
    case keyEpochActivated = "keys.epoch_activated"
    case enrolmentCodeCreated = "custodian.enrolment_code_created"
    case enrolmentRefused = "custodian.enrolment_refused"
    case deviceEnrolled = "custodian.device_enrolled"
    case deviceRevoked = "custodian.device_revoked"
    case deviceRequestRefused = "custodian.device_request_refused"
    case captureTokenCreated = "capture_token.created"
    case captureTokenRevoked = "capture_token.revoked"
    case messagesIngested = "messages.ingested"
    case searchRun = "search.run"
    case searchExported = "search.exported"
    case searchSaved = "search.saved"
    case searchDeleted = "search.deleted"
    case messageViewed = "message.metadata_viewed"
    case requestFiled = "request.filed"
    case requestViewed = "request.viewed"
    case requestApproved = "request.approved"
    case requestApprovalFailed = "request.approval_failed"
    case requestApprovalThrottled = "request.approval_throttled"
    case requestRejected = "request.rejected"
    case requestLapsed = "request.lapsed"
    case grantOpened = "grant.opened"
    case grantExpired = "grant.expired"
    case grantRevoked = "grant.revoked"
    case contentViewed = "content.viewed"
    case contentRefused = "content.refused"
    /// A reviewer coded a message under a live grant (details: the codes, and the ones they replaced).
    case reviewCoded = "review.coded"
    /// A review action on a message was refused (no live grant).
    case reviewRefused = "review.refused"
    case codingLayoutDefined = "review.layout_defined"
    /// Legal exported a matter's coding or privilege log (details: which, and how many rows).
    case reviewExported = "review.exported"
    /// A reviewer wrote a note on a message (details: whether it escalates it for a second review).
    case reviewNoted = "review.noted"
    case escalationResolved = "review.escalation_resolved"
    case reviewNotesViewed = "review.notes_viewed"
    /// A grant's messages were decrypted into its in-memory content search index.
    case grantIndexed = "grant.indexed"
    /// A reviewer searched the content of a grant (details: the query, sealed, and the hit count).
    case contentSearched = "review.content_searched"
    case matterOpened = "matter.opened"
    case matterUpdated = "matter.updated"
    case matterMemberAdded = "matter.member_added"
    case holdPreviewed = "hold.previewed"
    case holdPlaced = "hold.placed"
    case holdReleased = "hold.released"
    case holdNoticeSent = "hold.notice_sent"
    case holdNoticeAcknowledged = "hold.notice_acknowledged"
    case retentionClassCreated = "retention.class_created"
    case retentionPeriodChanged = "retention.period_changed"
    case retentionRuleAdded = "retention.rule_added"
    case retentionRuleRemoved = "retention.rule_removed"
    case dispositionRun = "retention.run"
    case messageDisposed = "message.disposed"
    /// A message's row disagreed with its seal or its audited ingest record, and an action that trusts it was refused.
    case messageIntegrityFailed = "message.integrity_failed"
    /// A serving instance took over the archive's background jobs (grant expiry, lapses, disposition) from another.
    case backgroundJobsTaken = "system.background_jobs_taken"
}

/// A small, deterministic JSON encoder for flat string maps (sorted keys, minimal escaping).
public enum CanonicalJSON {
    /// Encodes `values` as a JSON object with keys in byte order.
    public static func object(_ values: [String: String]) -> String {
        let body = values.keys.sorted().map { "\(string($0)):\(string(values[$0]!))" }.joined(separator: ",")
        return "{\(body)}"
    }

    /// Encodes one JSON string literal.
    public static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
