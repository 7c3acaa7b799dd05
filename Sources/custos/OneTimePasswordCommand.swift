import ArgumentParser
import CustosCore
import CustosRuntime
import Foundation

/// `custos one-time-password --data DIR --username NAME`: a new one-time password for an account, from the
/// machine that holds the data directory (for the first administrator, whose password nobody else can reissue).
struct OneTimePassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "one-time-password",
        abstract: "Replace an account's password with a new one-time password, printed once.",
        discussion: """
            The account must change it at its next sign-in; its sessions end, and its TOTP enrolment stays. \
            The change is recorded in the audit log.
            """)

    @Option(help: "The data directory.") var data: String

    @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?
    @Option(help: "The account.") var username: String
    @Option(help: "Hours the new one-time password works (1–720).") var oneTimePasswordHours = 72
    @Flag(help: "Print the credentials as JSON.") var json = false

    func validate() throws {
        guard (1...720).contains(oneTimePasswordHours) else { throw ValidationError("--one-time-password-hours must be between 1 and 720.") }
    }

    func run() async throws {
        let system = try CustosSystem.open(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate(), clock: ServerClock.make(),
                                           oneTimePasswordLifetime: Int64(oneTimePasswordHours) * 3_600)
        let name = try Username.normalize(username)
        guard let user = try system.archive.read({ try $0.users.find(username: name) }) else {
            throw StartupError("there is no account named \(name)")
        }
        let issued = try await system.users.issueOneTimePassword(userID: user.id, actor: .system("custos one-time-password"))
        if json {
            say("{\"username\":\(CanonicalJSON.string(issued.user.username)),\"password\":\(CanonicalJSON.string(issued.oneTimePassword))}")
        } else {
            say("""
                One-time password for \(issued.user.username): \(issued.oneTimePassword)
                It is shown once, works for \(oneTimePasswordHours) hours and must be changed at the next sign-in.
                """)
        }
    }
}
