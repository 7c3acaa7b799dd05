import ArgumentParser
import CustosCapture
import CustosCaptureClient
import Foundation
import Synchronization

/// `custos capture`: parse locally, encrypt locally to the archive key, upload in batches.
struct Capture: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture mail or chat into a Custos archive, encrypted on this machine before upload.",
        discussion: """
            Messages are parsed and sealed here to the archive's current public key, and only after the \
            chain of key epochs the server offers verifies from the trust root (--trust, or \
            CUSTOS_ARCHIVE_TRUST): each epoch signed by all of its custodians and by k custodians of the \
            epoch before, never older than an epoch this client already accepted (remembered in \
            --trust-state). The server never sees message content. Re-running over the same files is safe: messages the archive already \
            holds are counted as duplicates and not stored again.

            The last line printed is `captured N, duplicates N, rejected N`. Each rejected item is \
            reported on standard error as `rejected: <source>: <reason>`. Exit status: 0 when nothing \
            was rejected, 1 when something was, 2 when the run could not complete (server unreachable, \
            token refused, no archive key).
            """
    )

    @Option(help: "The Custos server, e.g. http://127.0.0.1:8080.") var server: String
    @Option(help: ArgumentHelp(
        "The capture token (cst_…). Prefer setting CUSTOS_CAPTURE_TOKEN in the environment, which keeps it out of shell history.",
        valueName: "token"))
    var token: String?
    @Option(help: ArgumentHelp("The archive's trust root: the first epoch's transcript hash (64 hex digits), handed over out of band. "
                               + "Or CUSTOS_ARCHIVE_TRUST.", valueName: "root"))
    var trust: String?
    @Option(help: "Where the newest accepted epoch is remembered (default: under $XDG_STATE_HOME/custos or ~/.local/state/custos).")
    var trustState: String?
    @Option(help: "What the paths hold: \(CaptureFormat.allCases.map(\.rawValue).joined(separator: ", ")).") var format: String
    @Option(help: "Most messages per upload request (1–1000).") var batchSize = 500
    @Argument(help: "Files or folders to capture.") var paths: [String]

    func validate() throws {
        guard CaptureFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be one of \(CaptureFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !paths.isEmpty else { throw ValidationError("name at least one file or folder to capture") }
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1000") }
        guard resolvedTrust != nil else {
            throw ValidationError("give the archive's trust root with --trust or CUSTOS_ARCHIVE_TRUST (an administrator or custodian has it)")
        }
        guard resolvedToken != nil else {
            throw ValidationError("give the capture token with --token or the CUSTOS_CAPTURE_TOKEN environment variable")
        }
    }

    /// `--trust`, else `CUSTOS_ARCHIVE_TRUST`.
    var resolvedTrust: String? {
        let value = (trust ?? ProcessInfo.processInfo.environment["CUSTOS_ARCHIVE_TRUST"])?.trimmingCharacters(in: .whitespacesAndNewlines)
        return value?.isEmpty == false ? value : nil
    }

    /// `--token`, else `CUSTOS_CAPTURE_TOKEN`.
    var resolvedToken: String? {
        let value = token ?? ProcessInfo.processInfo.environment["CUSTOS_CAPTURE_TOKEN"]
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    func run() async throws {
        guard let captureFormat = CaptureFormat(rawValue: format), let secret = resolvedToken, let root = resolvedTrust else { throw ExitCode(2) }
        let console = CaptureConsole(interactive: isatty(1) == 1)
        let summary: CaptureSummary
        do {
            let reader = try CaptureReader(format: captureFormat, paths: paths)
            let uploader = try CaptureUploader(server: server, token: secret, trust: try ArchiveTrust(root: root, statePath: trustState),
                                               options: .init(batchSize: batchSize))
            summary = try await uploader.run(reader) { console.show($0) }
        } catch {
            console.finish()
            CaptureConsole.error("custos capture: \(error)")
            let counts = console.last ?? CaptureProgress()
            say("captured \(counts.captured), duplicates \(counts.duplicates), rejected \(counts.rejected)")
            throw ExitCode(2)
        }
        console.finish()
        say(summary.line)
        if summary.rejected > 0 { throw ExitCode(1) }
    }
}

/// The terminal side of a capture: a self-updating progress line on a TTY, rejections on stderr.
final class CaptureConsole: Sendable {
    private struct State {
        var last: CaptureProgress?
        var drawnAt: ContinuousClock.Instant?
        var lineShown = false
    }

    let interactive: Bool
    private let state = Mutex(State())

    init(interactive: Bool) { self.interactive = interactive }

    /// The most recent counts.
    var last: CaptureProgress? { state.withLock { $0.last } }

    /// Handles one event from the uploader.
    func show(_ event: CaptureEvent) {
        state.withLock { s in
            switch event {
            case .rejected(let r):
                if s.lineShown { Self.write(FileHandle.standardOutput, "\r\u{1B}[K") }
                s.lineShown = false
                Self.error("rejected: \(r.source): \(r.reason)")
            case .progress(let p):
                s.last = p
                guard interactive else { return }
                let now = ContinuousClock.now
                // Redraw at most ten times a second; a terminal cannot show more.
                if s.lineShown, let at = s.drawnAt, now - at < .milliseconds(100) { return }
                s.drawnAt = now
                s.lineShown = true
                Self.write(FileHandle.standardOutput, "\r\u{1B}[K… " + p.line)
            }
        }
    }

    /// Draws the final counts and ends the progress line, so the summary starts on a fresh line.
    func finish() {
        state.withLock { s in
            guard interactive, let p = s.last else { return }
            Self.write(FileHandle.standardOutput, "\r\u{1B}[K… " + p.line + "\n")
            s.lineShown = false
        }
    }

    /// A line on standard error.
    static func error(_ line: String) { write(FileHandle.standardError, line + "\n") }

    private static func write(_ handle: FileHandle, _ text: String) { handle.write(Data(text.utf8)) }
}
