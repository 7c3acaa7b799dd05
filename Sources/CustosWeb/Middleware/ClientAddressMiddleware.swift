import Hummingbird

/// Sets the request's client address (for throttling and audit): the connection's peer, or, when that peer
/// is a trusted proxy, the client it names in X-Forwarded-For.
struct ClientAddressMiddleware: RouterMiddleware {
    let proxies: TrustedProxies

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard !proxies.networks.isEmpty else { return try await next(request, context) }
        var context = context
        context.clientAddress = proxies.clientAddress(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor])
        return try await next(request, context)
    }
}
