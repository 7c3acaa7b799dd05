/// Compiles the Mustache templates in `Templates/` once, at start-up, into a tree the renderer walks
/// (see `TemplateRenderer`). The subset is the one Custos's pages use: escaped variables (`{{name}}`,
/// dotted names, `{{.}}`), sections and inverted sections, comments, partials, and parents with
/// blocks (`{{<layout}}{{$content}}…{{/content}}{{/layout}}`). Lines holding only a section, comment,
/// partial, parent or block tag are removed whole, as the Mustache specification says.
///
/// There is deliberately no unescaped output: `{{{name}}}` and `{{&name}}` are refused when the
/// templates load, so no template can put what a user or a message supplied into a page unescaped.
/// Set-delimiter and pragma tags are refused too, with the file and line.
/// Not `indirect`: the children sit in arrays already, and boxing every node cost a retain and release per
/// node visited (a profile of the search page put retain/release at a third of rendering).
enum TemplateNode: Sendable {
    case text([UInt8])
    case variable(TemplateName)
    case section(TemplateName, [TemplateNode], inverted: Bool)
    case partial(String)
    case parent(String, overrides: [String: [TemplateNode]])
    case block(String, defaultBody: [TemplateNode])
}

/// A name as written in a tag, split once at load: `chrome.csrf` → ["chrome", "csrf"]; `.` → no parts.
struct TemplateName: Sendable, Equatable {
    let parts: [String]
    var isImplicitIterator: Bool { parts.isEmpty }

    init(_ text: String) {
        parts = text == "." ? [] : text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
}

/// A template that could not be compiled, with where and why.
public struct TemplateError: Error, CustomStringConvertible {
    public var template: String
    public var line: Int
    public var reason: String
    public var description: String { "\(template).mustache, line \(line): \(reason)" }
}

enum TemplateParser {
    private enum Kind: Equatable { case variable, section, inverted, close, comment, partial, parent, block }

    private enum Token {
        case text([UInt8])
        case tag(Kind, String, line: Int)
    }

    /// Compiles `source`; `name` is used in error messages only.
    static func parse(_ source: String, name: String) throws -> [TemplateNode] {
        var tokens = try tokenize(Array(source.utf8), name: name)
        stripStandaloneLines(&tokens)
        var index = 0
        let nodes = try build(tokens, &index, closing: nil, name: name)
        return nodes
    }

    // MARK: Tokens

    private static func tokenize(_ bytes: [UInt8], name: String) throws -> [Token] {
        var tokens: [Token] = []
        var text: [UInt8] = []
        var line = 1
        var i = 0
        let open: (UInt8, UInt8) = (UInt8(ascii: "{"), UInt8(ascii: "{"))
        let close = UInt8(ascii: "}")
        while i < bytes.count {
            if bytes[i] == open.0, i + 1 < bytes.count, bytes[i + 1] == open.1 {
                let tagLine = line
                var j = i + 2
                while j + 1 < bytes.count, !(bytes[j] == close && bytes[j + 1] == close) {
                    if bytes[j] == UInt8(ascii: "\n") { line += 1 }
                    j += 1
                }
                guard j + 1 < bytes.count else { throw TemplateError(template: name, line: tagLine, reason: "a tag is not closed with }}") }
                let inner = String(decoding: bytes[(i + 2)..<j], as: UTF8.self)
                tokens.append(.text(text))
                text = []
                tokens.append(try tag(inner, line: tagLine, name: name))
                i = j + 2
                continue
            }
            if bytes[i] == UInt8(ascii: "\n") { line += 1 }
            text.append(bytes[i])
            i += 1
        }
        tokens.append(.text(text))
        return tokens
    }

    private static func tag(_ inner: String, line: Int, name: String) throws -> Token {
        func fail(_ reason: String) -> TemplateError { TemplateError(template: name, line: line, reason: reason) }
        let trimmed = inner.trimmingSpaces
        guard let sigil = trimmed.first else { throw fail("an empty tag {{}}") }
        let kind: Kind
        switch sigil {
        case "#": kind = .section
        case "^": kind = .inverted
        case "/": kind = .close
        case "!": return .tag(.comment, "", line: line)
        case ">": kind = .partial
        case "<": kind = .parent
        case "$": kind = .block
        case "{", "&":
            throw fail("unescaped output ({{{…}}} or {{&…}}) is not allowed: every value is HTML-escaped")
        case "=", "%":
            throw fail("set-delimiter and pragma tags are not supported")
        default: kind = .variable
        }
        let tagName = kind == .variable ? trimmed : String(trimmed.dropFirst()).trimmingSpaces
        guard !tagName.isEmpty, tagName.allSatisfy({ $0.isLetter || $0.isNumber || "._-/".contains($0) }) else {
            throw fail("“\(tagName)” is not a valid name")
        }
        if tagName.contains("."), tagName != ".", tagName.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw fail("“\(tagName)” is not a valid dotted name")
        }
        return .tag(kind, tagName, line: line)
    }

    // MARK: Standalone lines

    /// A tag alone on its line (but for spaces and tabs) takes the whole line with it, so that
    /// section and comment tags leave no blank lines behind. Decided on the untouched tokens first,
    /// then applied, so that two such lines in a row are both removed.
    private static func stripStandaloneLines(_ tokens: inout [Token]) {
        var trimEnd = Set<Int>()  // text tokens losing what follows their last newline
        var trimStart = Set<Int>()  // text tokens losing everything up to and including their first newline
        for (i, token) in tokens.enumerated() {
            guard case .tag(let kind, _, _) = token, kind != .variable,
                  case .text(let before) = tokens[i - 1], case .text(let after) = tokens[i + 1] else { continue }
            let beforeOK: Bool = {
                if let nl = before.lastIndex(of: UInt8(ascii: "\n")) { return before[(nl + 1)...].allSatisfy(isBlank) }
                return i - 1 == 0 && before.allSatisfy(isBlank)
            }()
            let afterOK: Bool = {
                if let nl = after.firstIndex(of: UInt8(ascii: "\n")) {
                    return after[..<nl].allSatisfy { isBlank($0) || $0 == UInt8(ascii: "\r") }
                }
                return i + 1 == tokens.count - 1 && after.allSatisfy(isBlank)
            }()
            if beforeOK && afterOK {
                trimEnd.insert(i - 1)
                trimStart.insert(i + 1)
            }
        }
        for i in trimEnd.union(trimStart) {
            guard case .text(var bytes) = tokens[i] else { continue }
            let first = bytes.firstIndex(of: UInt8(ascii: "\n"))
            let last = bytes.lastIndex(of: UInt8(ascii: "\n"))
            var lower = 0, upper = bytes.count
            if trimStart.contains(i) { lower = first.map { $0 + 1 } ?? bytes.count }
            if trimEnd.contains(i) { upper = last.map { $0 + 1 } ?? 0 }
            bytes = lower < upper ? Array(bytes[lower..<upper]) : []
            tokens[i] = .text(bytes)
        }
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    // MARK: Tree

    private static func build(_ tokens: [Token], _ index: inout Int, closing: (name: String, line: Int)?, name: String) throws -> [TemplateNode] {
        var nodes: [TemplateNode] = []
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case .text(let bytes):
                if !bytes.isEmpty { nodes.append(.text(bytes)) }
            case .tag(.comment, _, _):
                continue
            case .tag(.variable, let tagName, _):
                nodes.append(.variable(TemplateName(tagName)))
            case .tag(.partial, let tagName, _):
                nodes.append(.partial(tagName))
            case .tag(.close, let tagName, let line):
                guard let closing, closing.name == tagName else {
                    throw TemplateError(template: name, line: line, reason: closing.map { "{{/\(tagName)}} closes {{\($0.name)}}, opened on line \($0.line)" }
                                        ?? "{{/\(tagName)}} closes nothing")
                }
                return nodes
            case .tag(let kind, let tagName, let line):
                let body = try build(tokens, &index, closing: (tagName, line), name: name)
                switch kind {
                case .section, .inverted: nodes.append(.section(TemplateName(tagName), body, inverted: kind == .inverted))
                case .block: nodes.append(.block(tagName, defaultBody: body))
                default: nodes.append(.parent(tagName, overrides: try overrides(body, parent: tagName, line: line, name: name)))
                }
            }
        }
        if let closing { throw TemplateError(template: name, line: closing.line, reason: "{{\(closing.name)}} is never closed") }
        return nodes
    }

    /// Inside `{{<parent}}` only block overrides count; anything else but whitespace is a mistake.
    private static func overrides(_ body: [TemplateNode], parent: String, line: Int, name: String) throws -> [String: [TemplateNode]] {
        var result: [String: [TemplateNode]] = [:]
        for node in body {
            switch node {
            case .block(let blockName, let blockBody): result[blockName] = blockBody
            case .text(let bytes) where bytes.allSatisfy({ isBlank($0) || $0 == 10 || $0 == 13 }): continue
            default: throw TemplateError(template: name, line: line, reason: "inside {{<\(parent)}} only {{$block}} overrides may appear")
            }
        }
        return result
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\n" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" { s.removeLast() }
        return String(s)
    }
}
