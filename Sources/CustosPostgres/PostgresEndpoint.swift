import Logging
import PostgresNIO

/// Where a PostgreSQL server is and as which role to sign in: one value per role, so the owner's and the
/// application's credentials are never mixed up.
public struct PostgresEndpoint: Sendable {
    /// How to reach the server.
    public enum Address: Sendable, Equatable {
        /// TCP, e.g. 127.0.0.1:5432. Plain TCP: put a remote server behind TLS before using it.
        case tcp(host: String, port: Int)
        /// A Unix-domain socket file, e.g. /run/postgresql/.s.PGSQL.5432.
        case socket(path: String)
    }

    public var address: Address
    public var database: String
    public var username: String
    public var password: String?

    public init(address: Address, database: String, username: String, password: String?) {
        self.address = address
        self.database = database
        self.username = username
        self.password = password
    }

    /// The same server and database, signed in as another role.
    public func signedIn(as username: String, password: String?) -> PostgresEndpoint {
        PostgresEndpoint(address: address, database: database, username: username, password: password)
    }

    /// The same server and role, in another database.
    public func database(_ name: String) -> PostgresEndpoint {
        PostgresEndpoint(address: address, database: name, username: username, password: password)
    }

    /// postgres-nio's configuration for this endpoint.
    public var configuration: PostgresConnection.Configuration {
        switch address {
        case .tcp(let host, let port):
            return .init(host: host, port: port, username: username, password: password, database: database, tls: .disable)
        case .socket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        }
    }

    /// Opens one connection, runs `body` on it and closes it whatever happens.
    public func withConnection<Result: Sendable>(
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// The server's own words for why a statement failed (postgres-nio's description hides them on purpose, so
/// that query text and values never reach logs by accident). Used for schema work, where the reason is needed.
public func serverReason(_ error: any Error) -> String {
    guard let psql = error as? PSQLError else { return String(describing: error) }
    guard let info = psql.serverInfo, let message = info[.message] else { return String(describing: psql.code) }
    var reason = message
    if let state = info[.sqlState] { reason += " (SQLSTATE \(state))" }
    if let detail = info[.detail] { reason += "; " + detail }
    return reason
}

/// The SQLSTATE of a server error, nil for anything else.
public func serverState(_ error: any Error) -> String? {
    return (error as? PSQLError)?.serverInfo?[.sqlState]
}
