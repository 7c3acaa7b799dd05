import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds bytes in bytes with libc's memchr and memcmp: the secret scans read PostgreSQL's data files and WAL
/// segments (tens of MiB), which a byte-by-byte Swift loop in a debug build took minutes over.
public enum ByteSearch {
    public static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        guard needle.count > 0, haystack.count >= needle.count, let h = haystack.baseAddress, let n = needle.baseAddress else { return false }
        let first = Int32(needle[0])
        var offset = 0
        let last = haystack.count - needle.count
        while offset <= last {
            guard let hit = memchr(h + offset, first, last - offset + 1) else { return false }
            let at = h.distance(to: UnsafeRawPointer(hit))
            if memcmp(h + at, n, needle.count) == 0 { return true }
            offset = at + 1
        }
        return false
    }

    public static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { h in needle.withUnsafeBytes { n in contains(h, n) } }
    }

    public static func contains(_ haystack: Data, _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { h in needle.withUnsafeBytes { n in contains(h, n) } }
    }
}
