import Foundation

/// A view model that answers names with a switch instead of reflection. Pages rendered often (the
/// search results, the layout) conform; any other value is read by `Mirror`, which is slower.
public protocol TemplateParent {
    func child(named name: String) -> Any?
}

/// Arrays and sets render a section once per element; an empty one renders its inverted section.
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
    private enum Frame {
        case keyed(any TemplateParent)
        case value(Any)

        init(_ value: Any) {
            if let keyed = value as? any TemplateParent { self = .keyed(keyed) } else { self = .value(value) }
        }

        var value: Any {
            switch self {
            case .keyed(let v): v
            case .value(let v): v
            }
        }

        func child(_ name: String) -> Any? {
            switch self {
            case .keyed(let v): return v.child(named: name)
            case .value(let v): return Self.reflectedChild(of: v, name)
            }
        }

        private static func reflectedChild(of value: Any, _ name: String) -> Any? {
            guard let found = Mirror(reflecting: value).children.first(where: { $0.label == name }) else { return nil }
            return unwrapped(found.value)
        }
    }

    let templates: [String: [TemplateNode]]
    private(set) var output: [UInt8] = []
    private var stack: [Frame] = []
    private var overrides: [String: [TemplateNode]] = [:]

    init(templates: [String: [TemplateNode]], capacity: Int) {
        self.templates = templates
        output.reserveCapacity(capacity)
    }

    mutating func render(_ nodes: [TemplateNode], model: Any) {
        stack = [Frame(model)]
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

    private mutating func section(_ value: Any?, _ body: [TemplateNode], inverted: Bool) {
        guard let value else {
            if inverted { render(body) }
            return
        }
        if let flag = value as? Bool {
            if flag != inverted { render(body) }
            return
        }
        if let sequence = value as? any TemplateSequence {
            if inverted {
                if sequence.isEmptySequence { render(body) }
                return
            }
            sequence.forEachElement { element in
                stack.append(Frame(element))
                render(body)
                stack.removeLast()
            }
            return
        }
        guard !inverted else { return }
        stack.append(Frame(value))
        render(body)
        stack.removeLast()
    }

    private func lookup(_ name: TemplateName) -> Any? {
        guard let first = name.parts.first else { return stack.last?.value }
        for frame in stack.reversed() {
            guard var found = frame.child(first) else { continue }
            for part in name.parts.dropFirst() {
                guard let next = Frame(found).child(part) else { return nil }
                found = next
            }
            return found
        }
        return nil
    }

    private mutating func write(_ value: Any) {
        switch value {
        case let s as String: writeEscaped(s)
        case let i as Int: output.append(contentsOf: String(i).utf8)
        case let i as Int64: output.append(contentsOf: String(i).utf8)
        case let b as Bool: output.append(contentsOf: (b ? "true" : "false").utf8)
        case let s as Substring: writeEscaped(String(s))
        default: writeEscaped(String(describing: value))
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
private protocol AnyOptional {
    var wrapped: Any? { get }
}

extension Optional: AnyOptional {
    fileprivate var wrapped: Any? { self.map { $0 as Any } }
}

private func unwrapped(_ value: Any) -> Any? {
    guard let optional = value as? any AnyOptional else { return value }
    return optional.wrapped.flatMap(unwrapped)
}
