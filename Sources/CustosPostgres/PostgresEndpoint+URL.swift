import Foundation

extension PostgresEndpoint {
    /// Reads a connection URL as libpq writes them: `postgres://user[:password]@host[:port]/database`, or over a
    /// Unix socket, `postgres://user@/database?host=/run/postgresql` (the socket's folder; the port names the file).
    /// A URL without a password takes `PGPASSWORD` from the environment, which keeps it out of `ps`.
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw PostgresURLError("\(Self.redacted(text)) is not a postgres:// URL")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresURLError("\(Self.redacted(text)) names no database (postgres://user@host/DATABASE)")
        }
        guard let user = url.user?.removingPercentEncoding, !user.isEmpty else {
            throw PostgresURLError("\(Self.redacted(text)) names no role (postgres://ROLE@host/database)")
        }
        let password = url.password?.removingPercentEncoding ?? environment["PGPASSWORD"]
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw PostgresURLError("port \(port) is out of range") }
        let socketFolder = url.queryItems?.first(where: { $0.name == "host" })?.value
        let host = url.host?.removingPercentEncoding ?? ""
        if let folder = socketFolder, folder.hasPrefix("/") {
            self.init(address: .socket(path: folder + "/.s.PGSQL.\(port)"), database: database, username: user, password: password)
        } else if !host.isEmpty {
            self.init(address: .tcp(host: host, port: port), database: database, username: user, password: password)
        } else {
            throw PostgresURLError("\(Self.redacted(text)) names no host (postgres://role@HOST/database, or ?host=/socket/folder)")
        }
        if let unknown = url.queryItems?.first(where: { $0.name != "host" }) {
            throw PostgresURLError("\(Self.redacted(text)): unsupported option \(unknown.name)")
        }
    }

    /// `text` with any password replaced, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text) else { return "the database URL" }
        if url.password != nil { url.password = "***" }
        return url.string ?? "the database URL"
    }

    /// This endpoint as a URL without its password, for messages.
    public var displayURL: String {
        switch address {
        case .tcp(let host, let port): return "postgres://\(username)@\(host):\(port)/\(database)"
        case .socket(let path): return "postgres://\(username)@/\(database)?host=\((path as NSString).deletingLastPathComponent)"
        }
    }
}

/// A database URL that cannot be used, and why.
public struct PostgresURLError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
