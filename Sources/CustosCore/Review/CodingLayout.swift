import Foundation

/// What reviewers record about a message in one scope (a matter, or the archive): a few single-choice fields and a
/// set of tags. Legal writes it as text, one field per line — `Responsiveness: Responsive, Not responsive, Needs
/// review` — and one line `Tags: Hot, Key document`; names are turned into the stable keys forms and exports use
/// (`responsiveness`, `not-responsive`).
public struct CodingLayout: Sendable, Equatable {
    /// One choice of a field: its key and the label legal wrote.
    public struct Choice: Sendable, Equatable {
        public var key: String
        public var label: String
    }

    /// A single-choice field.
    public struct Field: Sendable, Equatable {
        public var key: String
        public var label: String
        public var choices: [Choice]
    }

    public var fields: [Field]
    public var tags: [Choice]

    /// The layout used where legal has defined none.
    public static let standard = CodingLayout(fields: [
        Field(key: "responsiveness", label: "Responsiveness", choices: [
            Choice(key: "responsive", label: "Responsive"), Choice(key: "not-responsive", label: "Not responsive"),
            Choice(key: "needs-review", label: "Needs review"),
        ]),
        Field(key: "privilege", label: "Privilege", choices: [
            Choice(key: "none", label: "None"), Choice(key: "attorney-client", label: "Attorney-client"),
            Choice(key: "work-product", label: "Work product"),
        ]),
    ], tags: [])

    /// The field whose choices say whether a message is privileged: its first choice means "not privileged".
    public static let privilegeField = "privilege"

    /// Most fields, choices per field and tags a layout may have: a layout is a form a reviewer fills for every
    /// message, not a questionnaire.
    public static let limits = (fields: 8, choices: 12, tags: 24, label: 60)

    /// The layout as legal writes it; `parse(text)` gives it back.
    public var text: String {
        var lines = fields.map { "\($0.label): " + $0.choices.map(\.label).joined(separator: ", ") }
        if !tags.isEmpty { lines.append("Tags: " + tags.map(\.label).joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }

    /// Reads legal's text; every mistake is named with its line.
    public static func parse(_ raw: String) throws -> CodingLayout {
        var fields: [Field] = []
        var tags: [Choice]?
        let lines = raw.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (n, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let at = "Line \(n + 1)"
            guard let colon = line.firstIndex(of: ":") else {
                throw DomainError.invalidInput("\(at): write a field as “Name: choice, choice”.")
            }
            let label = try Self.label(String(line[..<colon]), at)
            let choices = try line[line.index(after: colon)...].split(separator: ",").map { try Self.label(String($0), at) }
                .map { Choice(key: try Self.key($0, at), label: $0) }
            guard Set(choices.map(\.key)).count == choices.count else {
                throw DomainError.invalidInput("\(at): two choices of \(label) have the same name.")
            }
            if label.lowercased() == "tags" {
                guard tags == nil else { throw DomainError.invalidInput("\(at): tags are listed twice.") }
                guard choices.count <= limits.tags else { throw DomainError.invalidInput("\(at): at most \(limits.tags) tags.") }
                tags = choices
                continue
            }
            let key = try Self.key(label, at)
            guard !fields.contains(where: { $0.key == key }), !["tags", "basis", "csrf", "request"].contains(key) else {
                throw DomainError.invalidInput("\(at): the name \(label) is taken; choose another.")
            }
            guard (2...limits.choices).contains(choices.count) else {
                throw DomainError.invalidInput("\(at): \(label) needs 2 to \(limits.choices) choices.")
            }
            fields.append(Field(key: key, label: label, choices: choices))
        }
        guard !fields.isEmpty else { throw DomainError.invalidInput("A layout needs at least one field.") }
        guard fields.count <= limits.fields else { throw DomainError.invalidInput("A layout has at most \(limits.fields) fields.") }
        return CodingLayout(fields: fields, tags: tags ?? [])
    }

    /// Checks a reviewer's form against the layout: every field answered with one of its choices, tags known.
    public func validate(codes: [String: String], tags chosen: [String]) throws -> (codes: [String: String], tags: [String]) {
        var out: [String: String] = [:]
        for field in fields {
            guard let value = codes[field.key], !value.isEmpty else {
                throw DomainError.invalidInput("Choose a value for \(field.label).")
            }
            guard field.choices.contains(where: { $0.key == value }) else {
                throw DomainError.invalidInput("\(field.label) has no choice “\(value)”.")
            }
            out[field.key] = value
        }
        let known = Set(tags.map(\.key))
        let picked = Array(Set(chosen)).sorted()
        if let unknown = picked.first(where: { !known.contains($0) }) {
            throw DomainError.invalidInput("There is no tag “\(unknown)” in this layout.")
        }
        return (out, picked)
    }

    /// The label of `value` in field `key`, or the value itself for a choice since removed from the layout.
    public func label(field key: String, value: String) -> String {
        fields.first { $0.key == key }?.choices.first { $0.key == value }?.label ?? value
    }

    /// Whether `codes` mark the message privileged: a `privilege` field answered with other than its first choice.
    public func isPrivileged(_ codes: [String: String]) -> Bool {
        guard let field = fields.first(where: { $0.key == Self.privilegeField }), let value = codes[field.key],
              let first = field.choices.first else { return false }
        return value != first.key
    }

    private static func label(_ raw: String, _ at: String) throws -> String {
        let s = raw.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { throw DomainError.invalidInput("\(at): a name is empty.") }
        guard s.count <= limits.label else { throw DomainError.invalidInput("\(at): names are at most \(limits.label) characters.") }
        guard !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw DomainError.invalidInput("\(at): a name has a control character.")
        }
        return s
    }

    /// `Attorney–client` → `attorney-client`: letters and digits (accents folded), every other run one hyphen.
    static func key(_ label: String, _ at: String) throws -> String {
        let folded = label.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil).lowercased()
        var out = ""
        var gap = false
        for scalar in folded.unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                if gap, !out.isEmpty { out.append("-") }
                out.unicodeScalars.append(scalar)
                gap = false
            } else {
                gap = true
            }
        }
        guard !out.isEmpty else { throw DomainError.invalidInput("\(at): “\(label)” needs a letter or digit.") }
        return out
    }
}
