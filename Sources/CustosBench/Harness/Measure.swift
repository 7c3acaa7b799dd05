import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small measuring helpers shared by every stage.
enum Measure {
    /// Seconds since an arbitrary fixed point, monotonic.
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// CPU seconds the calling thread has used (synchronous code stays on one thread).
    static func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Seconds `body` took, and its result.
    static func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = now()
        let result = try body()
        return (result, now() - start)
    }

    /// The p-th percentile (0…100) of `values`, nearest-rank; 0 for none.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    /// CPU seconds (user + system) this process has used.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// This process's resident memory, in bytes.
    static func ownResidentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Seconds the threads under `/proc/<pid>/task` (or one thread's directory) spent on a CPU, and
    /// runnable but waiting for one (taken by other processes): the kernel's schedstat.
    static func scheduling(tasks directory: String) -> (running: Double, waiting: Double) {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var running = 0.0
        var waiting = 0.0
        for t in threads {
            guard let text = try? String(contentsOfFile: "\(directory)/\(t)/schedstat", encoding: .utf8) else { continue }
            let fields = text.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard fields.count >= 2 else { continue }
            running += fields[0] / 1e9
            waiting += fields[1] / 1e9
        }
        return (running, waiting)
    }

    /// The calling thread's schedstat: seconds on a CPU and seconds waiting for one.
    static func threadScheduling() -> (running: Double, waiting: Double) {
        let text = (try? String(contentsOfFile: "/proc/thread-self/schedstat", encoding: .utf8)) ?? ""
        let fields = text.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return fields.count >= 2 ? (fields[0] / 1e9, fields[1] / 1e9) : (0, 0)
    }

    /// The 1-minute load average, as /proc/loadavg gives it.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
        return String(text.split(separator: " ").first ?? "?")
    }

    /// "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A number with `places` decimals.
    static func fixed(_ x: Double, _ places: Int = 1) -> String { String(format: "%.\(places)f", x) }

    /// Bytes as MiB with one decimal.
    static func mebibytes(_ bytes: Int) -> String { fixed(Double(bytes) / 1_048_576) + " MiB" }
}
