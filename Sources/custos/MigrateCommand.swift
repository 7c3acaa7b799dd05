import ArgumentParser
import CustosRuntime

/// `custos migrate`: the PostgreSQL schema, applied by the role that owns the database.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring a PostgreSQL archive's schema up to this version, as the database's owner role.",
        discussion: """
            Run it before the first `custos init --database` and after each upgrade, with a URL that signs in as the role \
            owning the database (no superuser). It applies the numbered files of MigrationsPostgres/ that are missing, \
            refuses a database whose recorded migrations differ from the files, and grants the application role only \
            the row privileges the server needs: no DDL, no ownership, nothing on the append-only tables but INSERT \
            and SELECT. Servers then sign in as the application role. The SQLite archive migrates itself on start.
            """)

    @Option(help: ArgumentHelp("The database, signed in as its owner: postgres://OWNER@host:port/database "
                               + "(a password comes from PGPASSWORD rather than the URL).", valueName: "url"))
    var database: String
    @Option(help: "The role the servers sign in as (created beforehand by the database administrator).") var applicationRole: String

    func run() async throws {
        let applied = try await PostgresSchema.migrate(ownerURL: database, applicationRole: applicationRole, resources: try Resources.locate())
        if applied.isEmpty {
            say("The schema is current; privileges of \(applicationRole) re-granted.")
        } else {
            say("Applied \(applied.count) migration\(applied.count == 1 ? "" : "s"): \(applied.joined(separator: ", ")); "
                + "\(applicationRole) has the privileges the server needs and no more.")
        }
    }
}
