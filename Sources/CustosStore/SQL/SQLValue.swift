/// One value as stored in a column or bound to a parameter. Rows read back hold no `boolean`: SQLite keeps flags as
/// 1 or 0 and the PostgreSQL store reads its booleans that way too, but a bound flag stays a boolean so that
/// PostgreSQL, which types its parameters, accepts it for a BOOLEAN column.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case boolean(Bool)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift value that can be bound to a `?` parameter.
public protocol SQLBindable {
    /// The value handed to SQLite.
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLBindable {
    /// Itself, so callers can bind an already-built value.
    public var sqlValue: SQLValue { self }
}

extension Int: SQLBindable {
    /// Bound as a 64-bit integer.
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Int64: SQLBindable {
    /// Bound as a 64-bit integer.
    public var sqlValue: SQLValue { .integer(self) }
}

extension Int32: SQLBindable {
    /// Bound as a 64-bit integer.
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Bool: SQLBindable {
    /// Bound as a boolean: 1 or 0 in SQLite, its own convention.
    public var sqlValue: SQLValue { .boolean(self) }
}

extension Double: SQLBindable {
    /// Bound as a REAL.
    public var sqlValue: SQLValue { .real(self) }
}

extension String: SQLBindable {
    /// Bound as UTF-8 TEXT with an explicit length, so embedded NULs survive.
    public var sqlValue: SQLValue { .text(self) }
}

extension Array: SQLBindable where Element == UInt8 {
    /// Bound as a BLOB; an empty array stays an empty BLOB, not NULL.
    public var sqlValue: SQLValue { .blob(self) }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    /// `nil` binds NULL.
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One result row, copied out of SQLite so it outlives the statement and can cross tasks.
public struct SQLRow: Sendable {
    /// The column values in select-list order.
    public let values: [SQLValue]

    /// Wraps already-decoded values (fakes and tests build rows this way).
    public init(_ values: [SQLValue]) {
        self.values = values
    }

    /// The raw value of column `index`; traps if out of range, like an array.
    public subscript(_ index: Int) -> SQLValue { values[index] }

    /// The number of columns.
    public var count: Int { values.count }

    /// A platform name stored by `SQLDialect.platformName`: text in SQLite, UTF-8 bytes in PostgreSQL.
    public func platformName(_ i: Int) throws -> String {
        if case .blob(let bytes) = self[i], let name = String(validating: bytes, as: UTF8.self) { return name }
        return try text(i)
    }

    /// An INTEGER column.
    public func int(_ i: Int) throws -> Int64 {
        guard let v = try optionalInt(i) else { throw mismatch(i, "integer") }
        return v
    }

    /// An INTEGER column that may be NULL.
    public func optionalInt(_ i: Int) throws -> Int64? {
        switch try value(i, "integer") {
        case .null: return nil
        case .integer(let v): return v
        case .boolean(let v): return v ? 1 : 0
        default: throw mismatch(i, "integer")
        }
    }

    /// A TEXT column.
    public func text(_ i: Int) throws -> String {
        guard let v = try optionalText(i) else { throw mismatch(i, "text") }
        return v
    }

    /// A TEXT column that may be NULL.
    public func optionalText(_ i: Int) throws -> String? {
        switch try value(i, "text") {
        case .null: return nil
        case .text(let v): return v
        default: throw mismatch(i, "text")
        }
    }

    /// A BLOB column.
    public func blob(_ i: Int) throws -> [UInt8] {
        guard let v = try optionalBlob(i) else { throw mismatch(i, "blob") }
        return v
    }

    /// A BLOB column that may be NULL.
    public func optionalBlob(_ i: Int) throws -> [UInt8]? {
        switch try value(i, "blob") {
        case .null: return nil
        case .blob(let v): return v
        default: throw mismatch(i, "blob")
        }
    }

    /// A REAL column; INTEGER is accepted because SQLite returns whole numbers from expressions as integers.
    public func double(_ i: Int) throws -> Double {
        switch try value(i, "real") {
        case .real(let v): return v
        case .integer(let v): return Double(v)
        default: throw mismatch(i, "real")
        }
    }

    /// An INTEGER column read as a boolean (0 is false, anything else true, as in SQL).
    public func bool(_ i: Int) throws -> Bool {
        switch try value(i, "integer (boolean)") {
        case .integer(let v): return v != 0
        case .boolean(let v): return v
        default: throw mismatch(i, "integer (boolean)")
        }
    }

    private func value(_ i: Int, _ expected: String) throws -> SQLValue {
        // An out-of-range index is a programming error, but a thrown error beats crashing a server.
        guard values.indices.contains(i) else {
            throw mismatch(i, "\(expected) (but the row has only \(values.count) columns)")
        }
        return values[i]
    }

    private func mismatch(_ i: Int, _ expected: String) -> SQLiteError {
        .typeMismatch(column: i, expected: expected)
    }
}
