import CustosCore
import Foundation

/// Where the files Custos reads at start-up live: Migrations/, Templates/, Public/ and Data/.
public struct Resources: Sendable {
    public var root: URL
    public var migrations: URL { root.appendingPathComponent("Migrations") }
    public var postgresMigrations: URL { root.appendingPathComponent("MigrationsPostgres") }
    public var templates: URL { root.appendingPathComponent("Templates") }
    public var publicFiles: URL { root.appendingPathComponent("Public") }
    public var passwordBlocklist: URL { root.appendingPathComponent("Data/common-passwords.txt") }

    /// The password rules with the blocklist shipped in Data/; a missing list stops the server rather than
    /// letting every common password through.
    public func passwordPolicy() throws -> PasswordPolicy {
        guard let text = try? String(contentsOf: passwordBlocklist, encoding: .utf8) else {
            throw StartupError("\(passwordBlocklist.path) is missing: the list of common passwords new passwords are checked against")
        }
        return PasswordPolicy(blocklistText: text)
    }

    public init(root: URL) { self.root = root }

    /// `CUSTOS_RESOURCES` if set; otherwise the nearest folder holding Migrations/ and Templates/,
    /// searched upwards from the executable and then from the working directory.
    public static func locate() throws -> Resources {
        if let env = ProcessInfo.processInfo.environment["CUSTOS_RESOURCES"] {
            let r = Resources(root: URL(fileURLWithPath: env))
            guard r.isComplete else { throw StartupError("CUSTOS_RESOURCES=\(env) does not contain Migrations/ and Templates/") }
            return r
        }
        let starts = [URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent(),
                      URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        for start in starts {
            var dir = start
            for _ in 0..<8 {
                let r = Resources(root: dir)
                if r.isComplete { return r }
                dir = dir.deletingLastPathComponent()
            }
        }
        throw StartupError("cannot find Custos's Migrations/ and Templates/ folders; run from the source tree or set CUSTOS_RESOURCES")
    }

    var isComplete: Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: migrations.path) && fm.fileExists(atPath: templates.path)
    }
}
