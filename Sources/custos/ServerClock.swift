import CustosCore
import Foundation

/// The clock a server runs on: the system's. A debug build (what `make test` runs) also honours
/// `CUSTOS_TEST_CLOCK_OFFSET_FILE`, a file holding seconds to add to the system time, so the
/// end-to-end tests can move a real server past a grant's end. Release builds ignore it.
enum ServerClock {
    static func make() -> any Clock {
        #if DEBUG
        if let path = ProcessInfo.processInfo.environment["CUSTOS_TEST_CLOCK_OFFSET_FILE"], !path.isEmpty {
            return OffsetFileClock(path: path)
        }
        #endif
        return SystemClock()
    }
}

#if DEBUG
/// System time plus the whole number of seconds in a file (0 if it is absent or unreadable).
struct OffsetFileClock: Clock {
    let path: String

    func now() -> Int64 {
        let text = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return SystemClock().now() + (Int64(text) ?? 0)
    }
}
#endif
