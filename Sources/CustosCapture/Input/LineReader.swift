import Foundation

/// Reads a file line by line in 1 MiB chunks, so an mbox or jsonl file of any size streams
/// through constant memory (plus the longest line allowed).
final class LineReader {
    /// One line with its terminator (LF or CRLF) if it had one.
    struct Line {
        var bytes: [UInt8]
        /// True if the line was longer than the limit; `bytes` then holds only its start.
        var truncated: Bool
    }

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private static let chunk = 1 << 20

    /// Opens `path`; nil if it cannot be opened.
    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
    }

    deinit {
        try? handle.close()
    }

    /// Skips a UTF-8 byte order mark at the very start of the file.
    func skipByteOrderMark() {
        fill(minimum: 3)
        if buffer.count - position >= 3, buffer[position] == 0xEF, buffer[position + 1] == 0xBB,
           buffer[position + 2] == 0xBF {
            position += 3
        }
    }

    /// The next line, or nil at the end of the file; a line over `limit` bytes is cut (and the
    /// rest of it skipped) so one giant line cannot exhaust memory.
    func nextLine(limit: Int) -> Line? {
        var collected: [UInt8] = []
        var truncated = false
        while true {
            if position >= buffer.count {
                fill(minimum: 1)
                if position >= buffer.count {
                    return collected.isEmpty && !truncated ? nil : Line(bytes: collected, truncated: truncated)
                }
            }
            let end = buffer.withUnsafeBufferPointer { pointer -> Int? in
                guard let base = pointer.baseAddress,
                      let found = memchr(base + position, 0x0A, pointer.count - position) else { return nil }
                return base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
            }
            let stop = end ?? buffer.count
            if !truncated {
                let room = limit - collected.count
                if stop - position > room {
                    collected.append(contentsOf: buffer[position..<(position + max(0, room))])
                    truncated = true
                } else {
                    collected.append(contentsOf: buffer[position..<stop])
                }
            }
            position = stop
            if end != nil { return Line(bytes: collected, truncated: truncated) }
        }
    }

    /// Makes at least `minimum` unread bytes available unless the file ends first.
    private func fill(minimum: Int) {
        while !atEnd, buffer.count - position < minimum {
            if position > 0 {
                buffer.removeFirst(position)
                position = 0
            }
            guard let data = try? handle.read(upToCount: LineReader.chunk), !data.isEmpty else {
                atEnd = true
                return
            }
            buffer.append(contentsOf: data)
        }
    }
}
