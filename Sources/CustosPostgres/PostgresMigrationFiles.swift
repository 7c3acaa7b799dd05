import Foundation

extension PostgresMigrator {
    /// Reads and validates every `NNNN_description.sql` in `directory`, ordered by version without gaps or
    /// duplicates; hidden and non-.sql files are ignored.
    static func readMigrations(in directory: URL) throws -> [PostgresMigration] {
        let folder = directory.lastPathComponent
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PostgresMigrationError.unreadableDirectory(path: directory.path, reason: error.localizedDescription)
        }
        var found: [PostgresMigration] = []
        // Hidden files include macOS's "._0001_x.sql" resource forks, which are not migrations.
        for file in names.sorted() where !file.hasPrefix(".") && file.lowercased().hasSuffix(".sql") {
            let path = folder + "/" + file
            guard let version = version(ofFileName: file) else { throw PostgresMigrationError.badFileName(path: path) }
            found.append(try load(directory.appendingPathComponent(file), version: version, name: file, path: path))
        }
        guard !found.isEmpty else { throw PostgresMigrationError.noMigrations(path: directory.path) }
        found.sort { ($0.version, $0.name) < ($1.version, $1.name) }
        for (index, migration) in found.enumerated() where migration.version != index + 1 {
            let sameNumber = found.filter { $0.version == migration.version }
            if sameNumber.count > 1 {
                throw PostgresMigrationError.duplicateVersion(
                    version: migration.version, paths: sameNumber.map { folder + "/" + $0.name })
            }
            throw PostgresMigrationError.gap(expected: index + 1, path: folder + "/" + migration.name)
        }
        return found
    }

    /// The number of a well-formed name: four digits, "_", then [a-z0-9_]+, then ".sql"; nil otherwise.
    static func version(ofFileName file: String) -> Int? {
        let bytes = Array(file.utf8)
        guard bytes.count >= 10, file.hasSuffix(".sql"), bytes[4] == UInt8(ascii: "_") else { return nil }
        let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        let isWordByte = { (b: UInt8) in isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || b == UInt8(ascii: "_") }
        guard bytes[0..<4].allSatisfy(isDigit), bytes[5..<(bytes.count - 4)].allSatisfy(isWordByte) else { return nil }
        return Int(String(decoding: bytes[0..<4], as: UTF8.self))
    }

    private static func load(_ url: URL, version: Int, name: String, path: String) throws -> PostgresMigration {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: url))
        } catch {
            throw PostgresMigrationError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        let sql = String(decoding: bytes, as: UTF8.self)
        // Decoding replaces bad bytes, so a round trip that differs means the file was not UTF-8.
        guard Array(sql.utf8) == bytes else {
            throw PostgresMigrationError.unreadableFile(path: path, reason: "it is not valid UTF-8")
        }
        guard sql.contains(where: { !$0.isWhitespace }) else {
            throw PostgresMigrationError.unreadableFile(path: path, reason: "it is empty")
        }
        guard !sql.contains(quoteTag) else { throw PostgresMigrationError.reservedTag(path: path) }
        return PostgresMigration(version: version, name: name, sql: sql, checksum: PostgresMigration.checksum(of: bytes))
    }
}
