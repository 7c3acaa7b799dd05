import CSQLite
import Dispatch
import Foundation
import Synchronization

/// Copies the WAL back into the database file on a connection and a queue of its own, once the WAL holds
/// `threshold` frames, so that no writer holds the write lock through a checkpoint.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold, on the writer and so under
/// `Database`'s write lock: every audited request behind it waited. The first checkpoint after a capture copies
/// tens of thousands of pages (seconds), which showed up as the search page's p99 under load. A PASSIVE
/// checkpoint from another connection copies what it can without blocking readers or the writer, which goes on
/// appending to the WAL meanwhile; the next write after a complete copy starts the WAL again from its beginning.
final class BackgroundCheckpointer: Sendable {
    let path: String
    let threshold: Int
    /// At most one checkpoint every this many seconds, so a WAL that cannot restart yet (a reader still on an
    /// old snapshot) does not make every commit queue another.
    let minimumInterval: Double
    private let queue = DispatchQueue(label: "custos.sqlite.checkpoint")
    private let state = Mutex(State())

    private struct State {
        var scheduled = false
        var lastRun = 0.0
        var connection: SQLiteConnection?
        var runs = 0
    }

    init(path: String, threshold: Int, minimumInterval: Double = 0.2) {
        self.path = path
        self.threshold = threshold
        self.minimumInterval = minimumInterval
    }

    /// Called after each commit with the frames now in the WAL (on the writer's thread: it only schedules).
    func committed(frames: Int) {
        guard frames >= threshold else { return }
        let now = ProcessInfo.processInfo.systemUptime
        let schedule = state.withLock { s -> Bool in
            guard !s.scheduled, now - s.lastRun >= minimumInterval else { return false }
            s.scheduled = true
            return true
        }
        if schedule { queue.async { self.checkpoint() } }
    }

    /// How many checkpoints have run (tests).
    var runs: Int { state.withLock { $0.runs } }

    /// Waits for a checkpoint scheduled or running (tests, and anyone about to read the file on its own).
    func settle() { queue.sync {} }

    /// One passive checkpoint on this object's own connection, opened the first time.
    private func checkpoint() {
        let connection = state.withLock { s -> SQLiteConnection? in
            if s.connection == nil {
                s.connection = try? SQLiteConnection(path: path)
                try? s.connection?.execute("PRAGMA busy_timeout = 5000")
            }
            return s.connection
        }
        // A failure leaves the frames in the WAL, where readers still find them; the next commit tries again.
        _ = try? connection?.queryOne("PRAGMA wal_checkpoint(PASSIVE)")
        state.withLock { s in
            s.scheduled = false
            s.lastRun = ProcessInfo.processInfo.systemUptime
            s.runs += 1
        }
    }
}
