import ArgumentParser
import CustosCrypto
import CustosRuntime
import Foundation

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

/// `custos migrate-store`: a SQLite archive moved into PostgreSQL, as the ciphertext and chain it is.
struct MigrateStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy a SQLite archive into an empty PostgreSQL database, without decrypting anything.",
        discussion: """
            Stop the servers on the data directory first: the copy is of one consistent moment, and what they wrote \
            after it would not be in it. Create the database and its two roles, run `custos migrate` on it, then run \
            this with a URL that signs in as the owner. Every row keeps its id; the copy is one transaction, so it \
            lands whole or not at all, and it is verified before this command reports success: the same row counts, \
            the same audit chain head, and `custos verify`'s checks of the chain, the signed head and every envelope. \
            The data directory keeps the keys and the signed head; from then on start the servers with \
            `--data DIR --database postgres://APP-ROLE@…`. The SQLite file is left as it was: keep it as the \
            pre-move copy, and do not serve it again.
            """)

    @Option(help: "The data directory whose SQLite archive (custos.sqlite) is copied.") var from: String
    @Option(help: ArgumentHelp("The migrated, empty PostgreSQL database, signed in as its owner: "
                               + "postgres://OWNER@host:port/database (a password comes from PGPASSWORD).", valueName: "url"))
    var to: String

    func run() async throws {
        let resources = try Resources.locate()
        say("Copying \(from)/custos.sqlite into \(try ArchiveDatabase(option: to).displayName) …")
        let summary = try StoreMigration.copy(dataDirectory: from, to: to, resources: resources) { say($0) }
        let rows = summary.tables.reduce(0) { $0 + $1.rows }
        for table in summary.tables where table.rows > 0 { say("  \(table.name): \(table.rows)") }
        say("Copied \(rows) rows in \(summary.tables.count) tables in \(String(format: "%.1f", summary.seconds)) s; audit head: "
            + "entry \(summary.headSeq ?? 0), \(summary.headHash.map { Hex.encode($0) } ?? "none").")
        say("Verified before committing: \(summary.auditEntries) audit entries chain to the signed head; \(summary.messages) messages match their "
            + "hashes, seals and ingest records. Serve it with --database and the application role's URL.")
    }
}
