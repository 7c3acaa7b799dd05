import CustosCore
import Foundation
import Testing

/// `custos capture` as a script or a person runs it: the built executable against a real server.
@Suite("custos capture command")
struct CaptureCommandTests {
    /// The `custos` executable built beside the test bundle, if it was built.
    static let executable: String? = {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("custos").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    /// What one run printed and how it ended.
    struct Run: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
    }

    /// Runs the executable with `arguments` and extra environment, without blocking a concurrency thread.
    static func run(_ arguments: [String], environment: [String: String] = [:], viaTerminal: Bool = false) async throws -> Run {
        let executable = try #require(Self.executable)
        let scratch = NSTemporaryDirectory() + "custos-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let (out, err) = (scratch + "/out", scratch + "/err")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        if viaTerminal {
            // util-linux `script` gives the command a pseudo-terminal, so isatty(1) holds.
            let command = ([executable] + arguments).map { "'\($0)'" }.joined(separator: " ")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = ["-qec", command, "/dev/null"]
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env["CUSTOS_CAPTURE_TOKEN"] = nil
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        func text(_ path: String) -> String { String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        return Run(status: status, stdout: text(out), stderr: text(err))
    }

    /// Two good messages and one without a Date header, as .eml files in a fresh folder.
    static func sampleFolder() throws -> (folder: String, files: [String]) {
        let folder = NSTemporaryDirectory() + "custos-cli-mail-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var files: [String] = []
        for n in 1...3 {
            let date = n == 3 ? "" : "Date: Tue, 01 Oct 2024 10:0\(n):00 +0000\r\n"
            let text = "From: Person \(n) <p\(n)@example.com>\r\nTo: desk@example.org\r\n\(date)Subject: Sample \(n)\r\n\r\nBody \(n).\r\n"
            let path = folder + "/\(n).eml"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            files.append(path)
        }
        return (folder, files)
    }

    @Test("summary last, rejections on stderr, exit status, token from the environment, no progress line off a terminal",
          .enabled(if: executable != nil, "the custos executable was not built beside the tests"))
    func scriptedRun() async throws {
        let (folder, _) = try Self.sampleFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestArchive.with { archive in
            let arguments = ["capture", "--server", archive.url, "--trust", archive.trustRoot, "--trust-state", archive.trustState,
                             "--format", "eml", folder]
            let first = try await Self.run(arguments, environment: ["CUSTOS_CAPTURE_TOKEN": archive.token])
            #expect(first.status == 1, "something was rejected")
            #expect(first.lastLine == "captured 2, duplicates 0, rejected 1")
            #expect(!first.stdout.contains("\r") && !first.stdout.contains("read,"), "no progress line when stdout is not a terminal")
            #expect(first.stderr.hasPrefix("rejected: \(folder)/3.eml: "), "\(first.stderr)")
            #expect(!(first.stdout + first.stderr).contains(archive.token), "the token is never printed")

            let second = try await Self.run(arguments + ["--token", archive.token])
            #expect(second.lastLine == "captured 0, duplicates 2, rejected 1")

            try archive.system.captureTokens.revoke(id: archive.tokenID, actor: .system("test"))
            let revoked = try await Self.run(arguments, environment: ["CUSTOS_CAPTURE_TOKEN": archive.token])
            #expect(revoked.status == 2)
            #expect(revoked.stderr.contains("the capture token was refused: revoked or mistyped"))
            // The counts so far: the file without a Date was refused locally before the first upload failed.
            #expect(revoked.lastLine == "captured 0, duplicates 0, rejected 1")
        }
        let missing = try await Self.run(["capture", "--server", "http://127.0.0.1:9", "--trust", String(repeating: "0", count: 64),
                                          "--format", "eml", folder])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("CUSTOS_CAPTURE_TOKEN"))
        let help = try await Self.run(["capture", "--help"])
        #expect(help.stdout.contains("CUSTOS_CAPTURE_TOKEN") && help.stdout.contains("history"))
    }

    @Test("on a terminal, one line updates in place before the summary",
          .enabled(if: executable != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/script"),
                   "needs the custos executable and util-linux script"))
    func terminalProgress() async throws {
        let (folder, files) = try Self.sampleFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestArchive.with { archive in
            let run = try await Self.run(["capture", "--server", archive.url, "--trust", archive.trustRoot, "--trust-state", archive.trustState,
                                          "--format", "eml"] + files.prefix(2),
                                         environment: ["CUSTOS_CAPTURE_TOKEN": archive.token], viaTerminal: true)
            #expect(run.status == 0)
            #expect(run.stdout.contains("\r\u{1B}[K… 2 read, 2 captured, 0 duplicates, 0 rejected"), "\(run.stdout.debugDescription)")
            let lines = run.stdout.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            #expect(lines.last == "captured 2, duplicates 0, rejected 0")
        }
    }
}
