/// One SQLite value as stored in a column or bound to a parameter.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift value that can be bound to a `?` parameter.
public protocol SQLiteBindable {
    /// The value handed to SQLite.
    var sqliteValue: SQLiteValue { get }
}

extension SQLiteValue: SQLiteBindable {
    /// Itself, so callers can bind an already-built value.
    public var sqliteValue: SQLiteValue { self }
}

extension Int: SQLiteBindable {
    /// Bound as a 64-bit integer.
    public var sqliteValue: SQLiteValue { .integer(Int64(self)) }
}

extension Int64: SQLiteBindable {
    /// Bound as a 64-bit integer.
    public var sqliteValue: SQLiteValue { .integer(self) }
}

extension Int32: SQLiteBindable {
    /// Bound as a 64-bit integer.
    public var sqliteValue: SQLiteValue { .integer(Int64(self)) }
}

extension Bool: SQLiteBindable {
    /// Bound as 1 or 0, SQLite's own boolean convention.
    public var sqliteValue: SQLiteValue { .integer(self ? 1 : 0) }
}

extension Double: SQLiteBindable {
    /// Bound as a REAL.
    public var sqliteValue: SQLiteValue { .real(self) }
}

extension String: SQLiteBindable {
    /// Bound as UTF-8 TEXT with an explicit length, so embedded NULs survive.
    public var sqliteValue: SQLiteValue { .text(self) }
}

extension Array: SQLiteBindable where Element == UInt8 {
    /// Bound as a BLOB; an empty array stays an empty BLOB, not NULL.
    public var sqliteValue: SQLiteValue { .blob(self) }
}

extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    /// `nil` binds NULL.
    public var sqliteValue: SQLiteValue { self?.sqliteValue ?? .null }
}

/// One result row, copied out of SQLite so it outlives the statement and can cross tasks.
public struct SQLiteRow: Sendable {
    /// The column values in select-list order.
    public let values: [SQLiteValue]

    /// Wraps already-decoded values (fakes and tests build rows this way).
    public init(_ values: [SQLiteValue]) {
        self.values = values
    }

    /// The raw value of column `index`; traps if out of range, like an array.
    public subscript(_ index: Int) -> SQLiteValue { values[index] }

    /// The number of columns.
    public var count: Int { values.count }

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
        default: throw mismatch(i, "integer (boolean)")
        }
    }

    private func value(_ i: Int, _ expected: String) throws -> SQLiteValue {
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
