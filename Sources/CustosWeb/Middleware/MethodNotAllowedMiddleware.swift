import Hummingbird

/// Answers 405 with an `Allow` header when a path exists but not for the request's method, instead
/// of the router's plain 404 (RFC 9110 §15.5.6). Added after every route, so it wraps only the
/// router's "no such route" responder and costs nothing on routes that match.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    /// Each declared path pattern split into segments, with the methods declared for it.
    private let patterns: [(segments: [Segment], methods: [String])]

    enum Segment: Sendable, Equatable {
        case literal(Substring)
        case parameter
    }

    init(table: [RouteDeclaration]) {
        var methods: [String: [String]] = [:]
        var order: [String] = []
        for route in table {
            if methods[route.path] == nil { order.append(route.path) }
            if !(methods[route.path, default: []].contains(route.method)) { methods[route.path, default: []].append(route.method) }
        }
        patterns = order.map { path in
            let segments = path.split(separator: "/").map { part -> Segment in
                part.hasPrefix("{") || part.hasPrefix(":") ? .parameter : .literal(part)
            }
            return (segments, methods[path] ?? [])
        }
    }

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allowed = allowedMethods(for: request.uri.path), !allowed.contains(request.method.rawValue) else { throw error }
            throw HTTPError(.methodNotAllowed, headers: [.allow: allowed.joined(separator: ", ")])
        }
    }

    /// The methods of the pattern the router would have chosen for `path` (literal segments win
    /// over parameters, as in Hummingbird's trie), or nil when no declared pattern matches.
    func allowedMethods(for path: String) -> [String]? {
        let parts = path.split(separator: "/")
        var best: (rank: [Bool], methods: [String])?
        for pattern in patterns where pattern.segments.count == parts.count {
            var rank: [Bool] = []
            var matches = true
            for (segment, part) in zip(pattern.segments, parts) {
                switch segment {
                case .literal(let text): if text != part { matches = false }; rank.append(true)
                case .parameter: rank.append(false)
                }
                if !matches { break }
            }
            guard matches else { continue }
            if let current = best, !Self.outranks(rank, current.rank) { continue }
            best = (rank, pattern.methods)
        }
        return best?.methods
    }

    /// True when `a` is the more specific of two matching patterns: a literal at the first segment where they differ.
    static func outranks(_ a: [Bool], _ b: [Bool]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x }
        return false
    }
}
