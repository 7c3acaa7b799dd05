import ArgumentParser
import CustosCore
import CustosRuntime
import Foundation

/// `custos init`: a new data directory with keys, database and the first administrator.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a data directory, its server keys and the first administrator.")

    @Option(help: "The data directory to create (must not exist or be empty).") var data: String

    @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?
    @Option(help: "Username of the first administrator.") var admin: String = "admin"
    @Option(help: "Days every message is kept at least after its capture; no retention class may be shorter. Never lowered later.")
    var minimumRetentionDays = 366
    @Flag(help: "Print the credentials as JSON.") var json = false
    @Option(help: "Hours the administrator's one-time password works (1–720).") var oneTimePasswordHours = 72

    func validate() throws {
        guard (1...720).contains(oneTimePasswordHours) else { throw ValidationError("--one-time-password-hours must be between 1 and 720.") }
    }

    func run() async throws {
        let (_, created) = try await CustosSystem.initialize(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate(), adminUsername: admin,
                                                             minimumRetentionDays: minimumRetentionDays,
                                                             oneTimePasswordLifetime: Int64(oneTimePasswordHours) * 3_600)
        if json {
            say("{\"username\":\(CanonicalJSON.string(created.user.username)),\"password\":\(CanonicalJSON.string(created.oneTimePassword))}")
        } else {
            say("""
                Created \(data) (database, server keys in \(data)/keys with mode 0600).
                First administrator: \(created.user.username)
                One-time password:   \(created.oneTimePassword)
                This password is shown once and works for \(oneTimePasswordHours) hours. It must be changed at first sign-in,
                and TOTP must then be enrolled. (`custos one-time-password` issues a new one.)
                """)
        }
    }
}
