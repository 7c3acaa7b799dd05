import Foundation

/// A view model that answers names with a switch instead of reflection, and answers with a typed
/// `TemplateValue`, so the renderer needs neither `Mirror` nor a dynamic cast per value. Pages rendered
/// often (the search results, the layout) conform; any other value is read by `Mirror`, which is slower.
public protocol TemplateParent {
    func child(named name: String) -> TemplateValue?
}

/// A value as a template sees it.
public enum TemplateValue {
    case text(String)
    case integer(Int)
    case flag(Bool)
    case node(any TemplateParent)
    case list(any TemplateList)
    /// Anything else, found by reflection (a model that does not conform to `TemplateParent`).
    case other(Any)

    /// An optional string: nil passes the lookup on, as a missing value does.
    public static func text(_ value: String?) -> TemplateValue? { value.map { .text($0) } }

    /// A value reflection handed out (optionals already unwrapped), classified: the slow path, and the reference
    /// the views' switches are tested against.
    static func reflecting(_ value: Any) -> TemplateValue? {
        switch value {
        case let s as String: .text(s)
        case let i as Int: .integer(i)
        case let i as Int64: .integer(Int(i))
        case let b as Bool: .flag(b)
        case let p as any TemplateParent: .node(p)
        case let l as any TemplateList: .list(l)
        default: .other(value)
        }
    }
}

extension TemplateValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .text(let s): s
        case .integer(let i): String(i)
        case .flag(let b): b ? "true" : "false"
        case .node(let p): String(describing: p)
        case .list(let l): String(describing: l)
        case .other(let v): String(describing: v)
        }
    }
}

/// A list of view models: a section renders once per element; an empty one renders its inverted section.
public protocol TemplateList {
    var isEmpty: Bool { get }
    func forEachValue(_ body: (TemplateValue) -> Void)
}

extension Array: TemplateList where Element: TemplateParent {
    public func forEachValue(_ body: (TemplateValue) -> Void) { for element in self { body(.node(element)) } }
}

/// Arrays and sets of anything else (reached by reflection) render the same way, elements reflected.
protocol TemplateSequence {
    var isEmptySequence: Bool { get }
    func forEachElement(_ body: (Any) -> Void)
}

extension Array: TemplateSequence {
    var isEmptySequence: Bool { isEmpty }
    func forEachElement(_ body: (Any) -> Void) { for element in self { body(element) } }
}

extension Set: TemplateSequence {
    var isEmptySequence: Bool { isEmpty }
    func forEachElement(_ body: (Any) -> Void) { for element in self { body(element) } }
}

/// Walks compiled templates, writing UTF-8 bytes. Mustache's rules, as swift-mustache applies them
/// (which the test `TemplateEngineTests` checks page by page):
/// - a name is looked up from the innermost context outwards; a context without it, or whose value
///   for it is nil, passes the lookup on; the rest of a dotted name is looked up in what was found;
/// - a section renders once for true or for any other present value (pushed as the context), once
///   per element of an array, never for false, nil or an empty array; an inverted section the opposite;
/// - every value is HTML-escaped (`&`, `<`, `>`, `"` and `'`).
struct TemplateRenderer {
    /// A context on the stack: a typed value, or a value to reflect on.
    private static func child(of frame: TemplateValue, _ name: String) -> TemplateValue? {
        switch frame {
        case .node(let parent): parent.child(named: name)
        case .other(let value): reflectedChild(of: value, name)
        // Strings, numbers, flags and arrays have no named children (nor do they by reflection).
        case .text, .integer, .flag, .list: nil
        }
    }

    private static func reflectedChild(of value: Any, _ name: String) -> TemplateValue? {
        guard let found = Mirror(reflecting: value).children.first(where: { $0.label == name }) else { return nil }
        return unwrapped(found.value).flatMap(TemplateValue.reflecting)
    }

    let templates: [String: [TemplateNode]]
    private(set) var output: [UInt8] = []
    private var stack: [TemplateValue] = []
    private var overrides: [String: [TemplateNode]] = [:]

    init(templates: [String: [TemplateNode]], capacity: Int) {
        self.templates = templates
        output.reserveCapacity(capacity)
    }

    mutating func render(_ nodes: [TemplateNode], model: Any) {
        stack = [(model as? any TemplateParent).map { .node($0) } ?? .other(model)]
        render(nodes)
    }

    private mutating func render(_ nodes: [TemplateNode]) {
        for node in nodes {
            switch node {
            case .text(let bytes):
                output.append(contentsOf: bytes)
            case .variable(let name):
                if let value = lookup(name) { write(value) }
            case .section(let name, let body, let inverted):
                section(lookup(name), body, inverted: inverted)
            case .partial(let name):
                if let partial = templates[name] { render(partial) }
            case .parent(let name, let childOverrides):
                guard let parent = templates[name] else { continue }
                let saved = overrides
                // The outermost template's blocks win over those of the templates it extends.
                overrides.merge(childOverrides) { current, _ in current }
                render(parent)
                overrides = saved
            case .block(let name, let defaultBody):
                render(overrides[name] ?? defaultBody)
            }
        }
    }

    private mutating func section(_ value: TemplateValue?, _ body: [TemplateNode], inverted: Bool) {
        guard let value else {
            if inverted { render(body) }
            return
        }
        switch value {
        case .flag(let flag):
            if flag != inverted { render(body) }
            return
        case .list(let list):
            if inverted {
                if list.isEmpty { render(body) }
                return
            }
            list.forEachValue { element in
                stack.append(element)
                render(body)
                stack.removeLast()
            }
            return
        case .other(let any):
            if let sequence = any as? any TemplateSequence {
                if inverted {
                    if sequence.isEmptySequence { render(body) }
                    return
                }
                sequence.forEachElement { element in
                    stack.append(unwrapped(element).flatMap(TemplateValue.reflecting) ?? .other(element))
                    render(body)
                    stack.removeLast()
                }
                return
            }
        case .text, .integer, .node:
            break
        }
        guard !inverted else { return }
        stack.append(value)
        render(body)
        stack.removeLast()
    }

    private func lookup(_ name: TemplateName) -> TemplateValue? {
        guard let first = name.parts.first else { return stack.last }
        for frame in stack.reversed() {
            guard var found = Self.child(of: frame, first) else { continue }
            for part in name.parts.dropFirst() {
                guard let next = Self.child(of: found, part) else { return nil }
                found = next
            }
            return found
        }
        return nil
    }

    private mutating func write(_ value: TemplateValue) {
        switch value {
        case .text(let s): writeEscaped(s)
        case .integer(let i): output.append(contentsOf: String(i).utf8)
        case .flag(let b): output.append(contentsOf: (b ? "true" : "false").utf8)
        case .node, .list: writeEscaped(value.description)
        case .other(let any):
            switch any {
            case let s as Substring: writeEscaped(String(s))
            default: writeEscaped(String(describing: any))
            }
        }
    }

    private mutating func writeEscaped(_ string: String) {
        var string = string
        string.withUTF8 { bytes in
            var start = 0
            for i in 0..<bytes.count {
                let replacement: StaticString
                switch bytes[i] {
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "\""): replacement = "&quot;"
                case UInt8(ascii: "'"): replacement = "&#39;"
                default: continue
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                replacement.withUTF8Buffer { output.append(contentsOf: $0) }
                start = i + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }
}

/// A value that is an Optional inside `Any` (as `Mirror` hands out) is replaced by what it holds.
protocol AnyOptional {
    var wrapped: Any? { get }
}

extension Optional: AnyOptional {
    var wrapped: Any? { self.map { $0 as Any } }
}

func unwrapped(_ value: Any) -> Any? {
    guard let optional = value as? any AnyOptional else { return value }
    return optional.wrapped.flatMap(unwrapped)
}
