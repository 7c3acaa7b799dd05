import Foundation

/// Every path the web app serves, used both to register routes and to build links, so a renamed
/// path cannot leave a dead link behind.
public enum Paths {
    public static let home = "/"
    public static let login = "/login"
    public static let loginTOTP = "/login/totp"
    public static let logout = "/logout"
    public static let accountPassword = "/account/password"
    public static let accountTOTP = "/account/totp"
    public static let accountRole = "/account/role"
    public static let adminUsers = "/admin/users"
    public static let adminUsersNew = "/admin/users/new"
    public static let adminUser = "/admin/users/{id}"
    public static let adminUserRoles = "/admin/users/{id}/roles"
    public static let adminUserDisable = "/admin/users/{id}/disable"
    public static let adminUserEnable = "/admin/users/{id}/enable"
    public static let adminUserOneTimePassword = "/admin/users/{id}/one-time-password"
    public static let healthz = "/healthz"
    public static let adminKeys = "/admin/keys"
    public static let adminTokens = "/admin/capture-tokens"
    public static let adminTokenRevoke = "/admin/capture-tokens/{id}/revoke"
    public static let adminCeremonyCancel = "/admin/keys/ceremonies/{id}/cancel"
    public static let custodianDevice = "/custodian/device"
    public static let custodianDeviceCode = "/custodian/device/code"
    public static let apiCustodianPrefix = "/api/v1/custodian/"
    public static let apiCustodianEnrol = "/api/v1/custodian/enrol"
    public static let apiCustodianWhoami = "/api/v1/custodian/whoami"
    public static let apiArchiveKey = "/api/v1/archive-key"
    public static let apiArchiveKeys = "/api/v1/archive-keys"
    public static let apiCustodianCeremony = "/api/v1/custodian/ceremony"
    public static let apiCustodianCeremonyCommit = "/api/v1/custodian/ceremony/{id}/commit"
    public static let apiCustodianCeremonyDealing = "/api/v1/custodian/ceremony/{id}/dealing"
    public static let apiCustodianCeremonyReceipt = "/api/v1/custodian/ceremony/{id}/receipt"
    public static let apiCustodianCeremonySignature = "/api/v1/custodian/ceremony/{id}/signature"
    public static let apiCustodianRequests = "/api/v1/custodian/requests"
    public static let apiCustodianRequest = "/api/v1/custodian/requests/{id}"
    public static let apiCustodianRequestApprove = "/api/v1/custodian/requests/{id}/approve"
    public static let apiCustodianRequestReject = "/api/v1/custodian/requests/{id}/reject"
    public static let apiMessages = "/api/v1/messages"
    public static let search = "/search"
    public static let searchExport = "/search/export"
    public static let searchSaved = "/search/saved"
    public static let searchSavedDelete = "/search/saved/{id}/delete"
    public static let message = "/messages/{id}"
    public static let conversation = "/conversations/{id}"
    public static let requests = "/requests"
    public static let requestsNew = "/requests/new"
    public static let request = "/requests/{id}"
    public static let requestReject = "/requests/{id}/reject"
    public static let requestRevoke = "/requests/{id}/revoke"
    public static let requestSearch = "/requests/{id}/search"
    public static let messageContent = "/messages/{id}/content"
    public static let messageContentRaw = "/messages/{id}/content/raw"
    public static let messageCoding = "/messages/{id}/coding"
    public static let messageNotes = "/messages/{id}/notes"
    public static let noteResolve = "/notes/{id}/resolve"
    public static let matterNotes = "/matters/{id}/notes"
    public static let codingLayout = "/coding-layout"
    public static let matterCodingLayout = "/matters/{id}/coding-layout"
    public static let matterCodingCSV = "/matters/{id}/coding.csv"
    public static let matterPrivilegeLog = "/matters/{id}/privilege-log.csv"
    public static let matters = "/matters"
    public static let matter = "/matters/{id}"
    public static let matterEdit = "/matters/{id}/edit"
    public static let matterMembers = "/matters/{id}/members"
    public static let matterHoldsNew = "/matters/{id}/holds/new"
    public static let matterHolds = "/matters/{id}/holds"
    public static let hold = "/holds/{id}"
    public static let holdRelease = "/holds/{id}/release"
    public static let holdNotices = "/holds/{id}/notices"
    public static let holdNoticeAcknowledge = "/holds/{id}/notices/acknowledge"
    public static let adminRetention = "/admin/retention"
    public static let adminRetentionClasses = "/admin/retention/classes"
    public static let adminRetentionPeriod = "/admin/retention/period"
    public static let adminRetentionRules = "/admin/retention/rules"
    public static let adminRetentionRuleDelete = "/admin/retention/rules/{id}/delete"
    public static let adminRetentionRun = "/admin/retention/run"
    public static let audit = "/audit"
    public static let auditEntry = "/audit/{id}"
    public static let auditVerify = "/audit/verify"
    public static let auditExport = "/audit/export"
    public static let reportAccess = "/reports/access"
    public static let reportAccessCSV = "/reports/access.csv"

    /// Fills `{id}` in a route pattern.
    public static func with(_ pattern: String, id: Int64) -> String {
        with(pattern, key: String(id))
    }

    /// Fills `{id}` with a key that is already safe in a path (hex, digits). A pass over the bytes:
    /// it runs for every row of a results page, where Foundation's and even the standard library's
    /// substring search cost more than the rest of the row.
    public static func with(_ pattern: String, key: String) -> String {
        let placeholder = Array("{id}".utf8)
        let bytes = Array(pattern.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + key.utf8.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == placeholder[0], i + placeholder.count <= bytes.count, Array(bytes[i..<(i + placeholder.count)]) == placeholder {
                out.append(contentsOf: key.utf8)
                i += placeholder.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
