import CustosCore
import CustosCrypto
import CustosTestSupport
import Foundation

/// One mail file read as plain bytes, for checks made independently of the parsers.
struct RawMail: Sendable {
    let path: String
    let bytes: [UInt8]

    /// Every regular file under `root`, in path order.
    static func load(under root: String) -> [RawMail] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var mails: [RawMail] = []
        while let relative = walker.nextObject() as? String {
            let path = (root as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            mails.append(RawMail(path: path, bytes: [UInt8](data)))
        }
        return mails.sorted { $0.path < $1.path }
    }

    /// The uid the capture client gives an email: `email:` + hex BLAKE2b-256 of the bytes.
    var uid: String { "email:" + Hex.encode(BLAKE2b.hash(bytes)) }

    /// Header lines up to the first empty line, continuation lines folded into their header.
    var headerLines: [[UInt8]] {
        var lines: [[UInt8]] = []
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let line = Array(raw.last == UInt8(ascii: "\r") ? raw.dropLast() : raw[...])
            if line.isEmpty { break }
            if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t"), !lines.isEmpty {
                lines[lines.count - 1] += line
            } else {
                lines.append(line)
            }
        }
        return lines
    }

    /// The body's lines.
    var bodyLines: [[UInt8]] {
        guard let range = bytes.firstRange(of: Array("\n\n".utf8)) else { return [] }
        return bytes[range.upperBound...].split(separator: UInt8(ascii: "\n")).map { Array($0) }
    }

    /// The raw value of the first header called `name` (case-insensitive), trimmed.
    func header(_ name: String) -> [UInt8]? {
        let prefix = Array((name.lowercased() + ":").utf8)
        for line in headerLines where line.count >= prefix.count {
            if zip(line, prefix).allSatisfy({ Self.lower($0) == $1 }) { return Self.trim(Array(line.dropFirst(prefix.count))) }
        }
        return nil
    }

    /// The sender by a plain reading: the first `From:`, inside angle brackets if there are any, lower-cased.
    var sender: String? {
        guard let value = header("From").map({ String(decoding: $0, as: UTF8.self) }) else { return nil }
        if let open = value.firstIndex(of: "<"), let close = value[open...].firstIndex(of: ">") {
            return String(value[value.index(after: open)..<close]).trimmingCharacters(in: .whitespaces).lowercased()
        }
        return value.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Every `local@domain` in the From, To and Cc headers, as written.
    var addresses: [String] {
        ["From", "To", "Cc"].compactMap { header($0) }.flatMap { value in
            String(decoding: value, as: UTF8.self).matches(of: /[A-Za-z0-9._%+'&=-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/).map { String($0.output.0) }
        }
    }

    static func lower(_ byte: UInt8) -> UInt8 { (65...90).contains(byte) ? byte + 32 : byte }

    static func trim(_ bytes: [UInt8]) -> [UInt8] {
        let space: Set<UInt8> = [32, 9, 13]
        guard let start = bytes.firstIndex(where: { !space.contains($0) }), let end = bytes.lastIndex(where: { !space.contains($0) }) else { return [] }
        return Array(bytes[start...end])
    }
}

/// Raw bytes searched for clear text: the printable runs of some files, indexed by every 6-byte prefix.
struct ByteHaystack {
    /// Needles shorter than this cannot be searched (and none of the checks needs them).
    static let prefixLength = 6
    private var runs: [UInt8] = []
    private var positions: [UInt64: [Int]] = [:]

    /// The printable runs (ASCII or UTF-8 bytes) of at least `minimum` bytes from each file that exists.
    init(files: [String], minimum: Int = prefixLength) {
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            var start = -1
            let bytes = [UInt8](data)
            for i in 0...bytes.count {
                let printable = i < bytes.count && (bytes[i] == 9 || (32...126).contains(bytes[i]) || bytes[i] >= 128)
                if printable {
                    if start < 0 { start = i }
                    continue
                }
                if start >= 0, i - start >= minimum {
                    runs.append(contentsOf: bytes[start..<i])
                    runs.append(0)
                }
                start = -1
            }
        }
        if runs.count >= Self.prefixLength {
            for i in 0...(runs.count - Self.prefixLength) { positions[Self.key(runs, at: i), default: []].append(i) }
        }
    }

    /// Bytes kept for searching.
    var count: Int { runs.count }

    /// Whether `needle` (at least `prefixLength` bytes) occurs in the kept runs.
    func contains(_ needle: [UInt8]) -> Bool {
        guard needle.count >= Self.prefixLength, let candidates = positions[Self.key(needle, at: 0)] else { return false }
        return candidates.contains { start in
            start + needle.count <= runs.count && runs[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    private static func key(_ bytes: [UInt8], at start: Int) -> UInt64 {
        var key: UInt64 = 0
        for i in start..<(start + prefixLength) { key = key << 8 | UInt64(bytes[i]) }
        return key
    }

    /// Whether `needle` occurs anywhere in a file's raw bytes (for short binary secrets).
    static func file(_ path: String, contains needle: [UInt8]) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), !needle.isEmpty else { return false }
        return ByteSearch.contains(data, needle)
    }
}
