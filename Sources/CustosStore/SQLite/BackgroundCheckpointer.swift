import CSQLite
import Dispatch
import Foundation
import Synchronization

/// Copies the WAL back into the database file on a connection and a queue of its own once the WAL holds
/// `threshold` frames, so that a writer seldom holds the write lock through a checkpoint.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the writer and so under
/// `Database`'s write lock: every audited request behind it waited. The first checkpoint after a capture copies
/// tens of thousands of pages (seconds), which showed up as the search page's p99 under load. A PASSIVE
/// checkpoint from another connection copies what it can without blocking readers or the writer.
///
/// But the WAL starts again from its beginning only when a write finds every frame copied back, and under a
/// steady stream of writes the background copy never catches up: a 200,000-message capture left a 5 GB WAL.
/// So the writer itself still checkpoints at `writerThreshold` frames, as SQLite would, but by then the
/// background has copied nearly everything and the writer copies only what came since; the next write
/// starts the WAL again. The WAL stays under `writerThreshold` frames as before.
final class BackgroundCheckpointer: Sendable {
    let path: String
    let threshold: Int
    let writerThreshold: Int
    /// At most one background checkpoint every this many seconds, so a WAL that cannot restart yet (a reader
    /// still on an old snapshot, a steady stream of writes) does not make every commit queue another.
    let minimumInterval: Double
    private let queue = DispatchQueue(label: "custos.sqlite.checkpoint")
    private let state = Mutex(State())
    private let frames = Atomic<Int>(0)

    private struct State {
        var scheduled = false
        var lastRun = 0.0
        var connection: SQLiteConnection?
        var closed = false
        var runs = 0
        var writerRuns = 0
    }

    init(path: String, threshold: Int, writerThreshold: Int, minimumInterval: Double = 0.2) {
        self.path = path
        self.threshold = threshold
        self.writerThreshold = writerThreshold
        self.minimumInterval = minimumInterval
    }

    /// Called after each commit on the writer (`writer`, inside SQLite's WAL hook) with the frames now in the WAL:
    /// schedules a background checkpoint, or at `writerThreshold` finishes one here so the WAL can start again.
    func committed(frames: Int, writer: OpaquePointer) {
        self.frames.store(frames, ordering: .relaxed)
        guard frames >= threshold else { return }
        if frames >= writerThreshold {
            // What SQLite's own automatic checkpoint does, here; busy (the background one is running) is harmless.
            _ = sqlite3_wal_checkpoint_v2(writer, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            state.withLock { $0.writerRuns += 1 }
            return
        }
        let now = ProcessInfo.processInfo.systemUptime
        let schedule = state.withLock { s -> Bool in
            guard !s.scheduled, now - s.lastRun >= minimumInterval else { return false }
            s.scheduled = true
            return true
        }
        if schedule { queue.async { self.checkpoint() } }
    }

    /// Frames in the WAL after the last commit.
    var walFrames: Int { frames.load(ordering: .relaxed) }

    /// How many checkpoints have run in the background, and on the writer (tests).
    var runs: Int { state.withLock { $0.runs } }
    var writerRuns: Int { state.withLock { $0.writerRuns } }

    /// Waits for a checkpoint scheduled or running (tests, and anyone about to read the file on its own).
    func settle() { queue.sync {} }

    /// Closes this object's connection once the checkpoint in progress is done; none runs afterwards.
    func close() {
        state.withLock { $0.closed = true }
        queue.sync {}
        state.withLock { s in
            s.connection?.close()
            s.connection = nil
        }
    }

    /// One passive checkpoint on this object's own connection, opened the first time.
    private func checkpoint() {
        let connection = state.withLock { s -> SQLiteConnection? in
            guard !s.closed else { return nil }
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
