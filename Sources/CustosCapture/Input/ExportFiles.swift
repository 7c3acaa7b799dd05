import Foundation
import ZIPFoundation

/// The files of an export (Slack, RSMF) that may be a folder or a ZIP archive; paths are
/// relative and use `/`. Reads are size-limited before and while bytes are read.
protocol ExportFiles: AnyObject {
    /// The bytes of `relative`; nil if the file does not exist; an error text if it is unreadable.
    func read(_ relative: String, limit: Int) -> Result<[UInt8], Refusal>?
    /// The size of `relative` in bytes, if it exists.
    func size(_ relative: String) -> Int64?
    /// Top-level folder names, byte-wise sorted.
    func folders() -> [String]
    /// Names of the regular files directly in `folder`, byte-wise sorted.
    func files(in folder: String) -> [String]
}

/// An export unpacked into a folder.
final class FolderExport: ExportFiles {
    private let root: String

    init(root: String) {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    func read(_ relative: String, limit: Int) -> Result<[UInt8], Refusal>? {
        guard FolderExport.isInside(relative) else { return nil }
        let path = root + "/" + relative
        if case .missing = FileKind.following(path) { return nil }
        switch FileBytes.read(path, limit: limit, what: "file") {
        case .success(let bytes): return .success(bytes)
        case .failure(let error): return .failure(.init(text: "\(relative) \(error.reason)"))
        }
    }

    func size(_ relative: String) -> Int64? {
        guard FolderExport.isInside(relative) else { return nil }
        if case .regular(let size) = FileKind.following(root + "/" + relative) { return Int64(size) }
        return nil
    }

    func folders() -> [String] {
        listing(root).filter { if case .directory = FileKind(root + "/" + $0) { true } else { false } }
    }

    func files(in folder: String) -> [String] {
        listing(root + "/" + folder).filter {
            if case .regular = FileKind(root + "/" + folder + "/" + $0) { true } else { false }
        }
    }

    /// A name from a manifest ("../../etc/passwd") must not reach outside the export folder.
    private static func isInside(_ relative: String) -> Bool {
        !relative.hasPrefix("/") && !relative.split(separator: "/").contains("..")
    }

    private func listing(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { !$0.hasPrefix(".") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// An export inside a ZIP file, read entry by entry without unpacking to disk.
final class ZipExport: ExportFiles {
    private let archive: Archive
    /// Entry paths (files only), relative to `prefix`.
    private var entries: [String: Entry] = [:]
    /// File names by top-level folder, built once so listing a folder never rescans the archive.
    private var byFolder: [String: [String]] = [:]

    /// Opens `archive`; `marker` (e.g. `users.json`) locates the export root inside it, since
    /// many tools zip the export inside one top folder.
    init?(archive: Archive, marker: String) {
        self.archive = archive
        var all: [String: Entry] = [:]
        for entry in archive where entry.type == .file {
            all[entry.path] = entry
        }
        let roots = all.keys.filter { $0 == marker || $0.hasSuffix("/" + marker) }
            .sorted { ($0.split(separator: "/").count, $0) < ($1.split(separator: "/").count, $1) }
        guard let root = roots.first else { return nil }
        let prefix = String(root.dropLast(marker.count))
        for (path, entry) in all where path.hasPrefix(prefix) {
            let relative = String(path.dropFirst(prefix.count))
            entries[relative] = entry
            let pieces = relative.split(separator: "/", omittingEmptySubsequences: false)
            // Hidden files and macOS resource forks (__MACOSX/, ._name) are not part of an export.
            if pieces.count == 2, !pieces[0].isEmpty, !pieces[0].hasPrefix("__MACOSX"), !pieces[1].hasPrefix(".") {
                byFolder[String(pieces[0]), default: []].append(String(pieces[1]))
            }
        }
    }

    /// Opens the ZIP file at `path`.
    static func open(path: String, marker: String) -> ZipExport? {
        guard let archive = try? Archive(url: URL(fileURLWithPath: path), accessMode: .read, pathEncoding: nil) else { return nil }
        return ZipExport(archive: archive, marker: marker)
    }

    /// Opens a ZIP held in memory (an RSMF zip decoded from its EML).
    static func open(data: Data, marker: String) -> ZipExport? {
        guard let archive = try? Archive(data: data, accessMode: .read, pathEncoding: nil) else { return nil }
        return ZipExport(archive: archive, marker: marker)
    }

    func read(_ relative: String, limit: Int) -> Result<[UInt8], Refusal>? {
        guard let entry = entries[relative] else { return nil }
        guard entry.uncompressedSize <= UInt64(limit) else {
            return .failure(.init(text: "\(relative) is \(entry.uncompressedSize) bytes, over the \(limit / 1_048_576) MB limit"))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry) { chunk in
                bytes.append(contentsOf: chunk)
                // The declared size can lie (a zip bomb); stop as soon as the real size exceeds it.
                if bytes.count > limit { throw ZipOverflow() }
            }
        } catch is ZipOverflow {
            return .failure(.init(text: "\(relative) expands beyond the \(limit / 1_048_576) MB limit"))
        } catch {
            return .failure(.init(text: "\(relative) cannot be extracted from the ZIP file (damaged?)"))
        }
        return .success(bytes)
    }

    func size(_ relative: String) -> Int64? {
        entries[relative].map { Int64(clamping: $0.uncompressedSize) }
    }

    func folders() -> [String] {
        byFolder.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    func files(in folder: String) -> [String] {
        (byFolder[folder] ?? []).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Thrown from the extraction callback to stop a zip bomb early.
    private struct ZipOverflow: Error {}
}
