import CustosRuntime
import CustosViews
import Hummingbird

/// Loads the templates once at start-up and renders typed view models into HTML responses.
public struct Renderer: Sendable {
    let library: TemplateLibrary

    /// Every template the application renders; start-up fails if one is missing.
    static let required = [
        "layout", "error", "login", "login-totp", "home", "account/password", "account/totp",
        "admin/users", "admin/user-new", "admin/user-created", "admin/user", "admin/keys", "admin/tokens", "custodian/device", "search/search", "search/message", "search/conversation",
        "requests/list", "requests/new", "requests/request", "content/message",
        "matters/list", "matters/matter", "matters/hold-new", "matters/hold", "admin/retention", "audit/list", "audit/entry", "reports/access",
    ]

    /// Loads `directory` and checks that every required template is present.
    public init(directory: String) async throws {
        library = try TemplateLibrary(directory: directory)
        let missing = Self.required.filter { !library.contains($0) }
        guard missing.isEmpty else {
            throw StartupError("templates missing from \(directory): \(missing.joined(separator: ", "))")
        }
    }

    /// Renders `model` with `template` into an HTML response that no cache may keep.
    public func page(_ template: String, _ model: some Sendable, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(model, template: template) ?? []
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: html)))
    }
}
