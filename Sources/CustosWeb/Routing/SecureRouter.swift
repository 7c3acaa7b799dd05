import Hummingbird

/// One declared route: method, path pattern and who may use it.
public struct RouteDeclaration: Sendable, Hashable, CustomStringConvertible {
    public var method: String
    public var path: String
    public var access: String
    public var description: String { "\(method) \(path) → \(access)" }
}

/// Registers routes only together with an `Access` rule, and keeps the table of what it
/// registered so tests can walk every route for every role.
public final class SecureRouter {
    let router: Router<AppContext>
    public private(set) var table: [RouteDeclaration] = []

    init(router: Router<AppContext>) { self.router = router }

    public typealias Handler = @Sendable (Request, AppContext) async throws -> Response
    /// A handler of a route that needs a session: the router hands it the session it checked, so no handler
    /// looks the session up again or can forget to.
    public typealias SessionHandler = @Sendable (Request, AppContext, Authenticated) async throws -> Response

    /// A GET route. GET never changes state.
    public func get(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add(.get, path, access, handler)
    }

    /// A POST route (CSRF-checked by middleware unless under /api/).
    public func post(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add(.post, path, access, handler)
    }

    /// A GET route that needs a session (pending TOTP, account setup, signed in, or a role).
    public func get(_ path: String, _ access: Access, _ handler: @escaping SessionHandler) {
        add(.get, path, access, Self.withSession(access, path, handler))
    }

    /// A POST route that needs a session.
    public func post(_ path: String, _ access: Access, _ handler: @escaping SessionHandler) {
        add(.post, path, access, Self.withSession(access, path, handler))
    }

    /// Wraps a session handler: after `AccessCheck` passed for a session level the session is there; a route that
    /// declared a level without one (anyone, capture token, device) and asked for a session is a programming error
    /// that stops the router from being built.
    private static func withSession(_ access: Access, _ path: String, _ handler: @escaping SessionHandler) -> Handler {
        switch access {
        case .pendingTOTP, .accountSetup, .signedIn, .roles: break
        case .anyone, .captureToken, .custodianDevice: preconditionFailure("\(path) is open to \(access) but its handler needs a session")
        }
        return { request, context in
            guard let auth = context.auth else { throw Redirect(Paths.login) }
            return try await handler(request, context, auth)
        }
    }

    private func add(_ method: HTTPRequest.Method, _ path: String, _ access: Access, _ handler: @escaping Handler) {
        table.append(RouteDeclaration(method: method.rawValue, path: path, access: access.description))
        router.on(RouterPath(path), method: method) { request, context in
            try AccessCheck.enforce(access, context: context)
            return try await handler(request, context)
        }
    }
}
