@testable import CustosPostgres
import Testing

/// The repositories write SQLite's `?`; PostgreSQL wants `$1…$n`. A `?` inside quoted text is data, and a count
/// that does not match the values must stop the statement before it runs with a parameter unbound.
@Suite struct PlaceholderTests {
    @Test func numbersEachPlaceholderOutsideQuotes() throws {
        #expect(try PostgresSQLSession.numberPlaceholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)", count: 3)
                == "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)")
        #expect(try PostgresSQLSession.numberPlaceholders("SELECT '?', \"we?ird\" FROM t WHERE x = ?", count: 1)
                == "SELECT '?', \"we?ird\" FROM t WHERE x = $1")
        // Text around the placeholders keeps every character, whatever its length in UTF-8.
        #expect(try PostgresSQLSession.numberPlaceholders("SELECT 'Zoë — 漢字 🗄️ ?' || ? AS n", count: 1)
                == "SELECT 'Zoë — 漢字 🗄️ ?' || $1 AS n")
        let many = "VALUES " + Array(repeating: "(?, ?)", count: 600).joined(separator: ", ")
        let numbered = try PostgresSQLSession.numberPlaceholders(many, count: 1200)
        #expect(numbered.hasSuffix("($1199, $1200)"))
        #expect(numbered.hasPrefix("VALUES ($1, $2), ($3, $4)"))
    }

    @Test func refusesACountThatDoesNotMatch() {
        #expect(throws: PostgresStoreError.self) { try PostgresSQLSession.numberPlaceholders("SELECT ?, ?", count: 1) }
        #expect(throws: PostgresStoreError.self) { try PostgresSQLSession.numberPlaceholders("SELECT '?'", count: 1) }
    }
}
