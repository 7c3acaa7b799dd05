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

    /// A GET route. GET never changes state.
    public func get(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add(.get, path, access, handler)
    }

    /// A POST route (CSRF-checked by middleware unless under /api/).
    public func post(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add(.post, path, access, handler)
    }

    private func add(_ method: HTTPRequest.Method, _ path: String, _ access: Access, _ handler: @escaping Handler) {
        table.append(RouteDeclaration(method: method.rawValue, path: path, access: access.description))
        router.on(RouterPath(path), method: method) { request, context in
            try AccessCheck.enforce(access, context: context)
            return try await handler(request, context)
        }
    }
}
