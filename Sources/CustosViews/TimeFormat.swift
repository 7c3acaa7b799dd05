import CustosCore

/// Formats unix seconds for pages, always in UTC so every reader sees the same time.
public enum TimeFormat {
    /// `yyyy-MM-dd HH:mm UTC`, computed from the civil date: a results page formats dozens of times, and a
    /// `DateFormatter` built per call (ICU set-up) cost more than the search itself.
    public static func utc(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - days * 86_400
        let (y, m, d) = ISO8601.civil(days)
        guard (0...9999).contains(y) else {
            return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + " " + pad(rest / 3_600, 2) + ":" + pad(rest % 3_600 / 60, 2) + " UTC"
        }
        // The common case written digit by digit into one string (a page formats one per row).
        return String(unsafeUninitializedCapacity: 20) { out in
            func put(_ n: Int64, _ width: Int, at start: Int) {
                var n = n
                for i in stride(from: start + width - 1, through: start, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(n % 10)
                    n /= 10
                }
            }
            for (i, c) in "    -  -     :   UTC".utf8.enumerated() { out[i] = c }
            put(y, 4, at: 0)
            put(m, 2, at: 5)
            put(d, 2, at: 8)
            put(rest / 3_600, 2, at: 11)
            put(rest % 3_600 / 60, 2, at: 14)
            return 20
        }
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let digits = String(n.magnitude)
        return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
