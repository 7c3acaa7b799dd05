import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a path is, without following symbolic links (a link loop can never trap the walker).
enum FileKind {
    case regular(size: Int)
    case directory
    case other
    case missing

    /// The kind of `path`.
    init(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { self = .missing; return }
        switch info.st_mode & S_IFMT {
        case S_IFREG: self = .regular(size: Int(info.st_size))
        case S_IFDIR: self = .directory
        default: self = .other
        }
    }

    /// Like `init` but follows a symbolic link given explicitly on the command line.
    static func following(_ path: String) -> FileKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular(size: Int(info.st_size))
        case S_IFDIR: return .directory
        default: return .other
        }
    }
}

/// Yields the regular files under a folder depth-first in byte-wise name order, reading one
/// directory listing at a time, so huge trees are never listed in memory at once.
final class FileWalker {
    private var stack: [(directory: String, names: [String], next: Int)] = []
    private let includeFile: (String) -> Bool
    private let enterDirectory: (String, String) -> Bool

    /// Walks `root`; `includeFile(name)` picks files, `enterDirectory(name, parent)` picks folders.
    /// Hidden names (leading dot) are skipped unless `enterDirectory` asks for them.
    init(root: String, includeFile: @escaping (String) -> Bool,
         enterDirectory: @escaping (String, String) -> Bool = { name, _ in !name.hasPrefix(".") }) {
        self.includeFile = includeFile
        self.enterDirectory = enterDirectory
        push(root)
    }

    private func push(_ directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        stack.append((directory, names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, 0))
    }

    /// The next file path, or nil when the walk is done.
    func next() -> String? {
        while let top = stack.last {
            guard top.next < top.names.count else {
                stack.removeLast()
                continue
            }
            let name = top.names[top.next]
            stack[stack.count - 1].next += 1
            let path = top.directory.hasSuffix("/") ? top.directory + name : top.directory + "/" + name
            switch FileKind(path) {
            case .regular:
                if !name.hasPrefix("."), includeFile(name) { return path }
            case .directory:
                if enterDirectory(name, top.directory) { push(path) }
            case .other, .missing:
                continue
            }
        }
        return nil
    }
}

/// Reads whole files with a size limit checked before any byte is read.
enum FileBytes {
    /// The bytes of `path`, or a reason it cannot be read.
    static func read(_ path: String, limit: Int, what: String = "message") -> Result<[UInt8], CaptureItemError> {
        switch FileKind.following(path) {
        case .regular(let size) where size > limit:
            return .failure(CaptureItemError(
                source: path, reason: "\(what) is \(size) bytes, over the \(limit / 1_048_576) MB limit"))
        case .regular:
            guard let data = FileManager.default.contents(atPath: path) else {
                return .failure(CaptureItemError(source: path, reason: "cannot be read (permission denied?)"))
            }
            return .success([UInt8](data))
        case .directory:
            return .failure(CaptureItemError(source: path, reason: "is a folder, expected a file"))
        case .other:
            return .failure(CaptureItemError(source: path, reason: "is not a regular file"))
        case .missing:
            return .failure(CaptureItemError(source: path, reason: "no such file"))
        }
    }

    /// Whether the file begins with `prefix` (after an optional UTF-8 byte order mark).
    static func starts(_ path: String, with prefix: [UInt8]) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: prefix.count + 3) else { return false }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        return bytes.starts(with: prefix)
    }
}
