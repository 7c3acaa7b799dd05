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
    public static let healthz = "/healthz"
    public static let adminKeys = "/admin/keys"
    public static let adminTokens = "/admin/capture-tokens"
    public static let adminTokenRevoke = "/admin/capture-tokens/{id}/revoke"
    public static let custodianKey = "/custodian/key"
    public static let apiArchiveKey = "/api/v1/archive-key"
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
    public static let requestApprove = "/requests/{id}/approve"
    public static let requestReject = "/requests/{id}/reject"
    public static let requestRevoke = "/requests/{id}/revoke"
    public static let messageContent = "/messages/{id}/content"
    public static let messageContentRaw = "/messages/{id}/content/raw"

    /// Fills `{id}` in a route pattern.
    public static func with(_ pattern: String, id: Int64) -> String {
        pattern.replacingOccurrences(of: "{id}", with: String(id))
    }
}
