import CustosRuntime
import Foundation

/// Every `.mustache` file under a directory, compiled once; `admin/users` names
/// `admin/users.mustache`. Loading fails on the first template that does not compile, or that
/// extends or includes a template that does not exist, so a broken page stops start-up rather
/// than a request.
public struct TemplateLibrary: Sendable {
    let templates: [String: [TemplateNode]]
    /// Room reserved for a page's bytes up front (a results page is about 24 KB).
    private static let initialCapacity = 32 * 1024

    public init(directory: String) throws {
        let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
        guard let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw StartupError("cannot read the templates directory \(directory)")
        }
        var templates: [String: [TemplateNode]] = [:]
        for case let file as URL in files where file.pathExtension == "mustache" {
            let path = file.standardizedFileURL.path
            let name = String(path.dropFirst(root.path.count + 1).dropLast(".mustache".count))
            let source = try String(contentsOf: file, encoding: .utf8)
            templates[name] = try TemplateParser.parse(source, name: name)
        }
        try self.init(templates: templates)
    }

    /// Compiles templates given as text, by name (tests use this).
    public init(sources: [String: String]) throws {
        var templates: [String: [TemplateNode]] = [:]
        for (name, source) in sources { templates[name] = try TemplateParser.parse(source, name: name) }
        try self.init(templates: templates)
    }

    private init(templates: [String: [TemplateNode]]) throws {
        for (name, nodes) in templates {
            for missing in Self.references(nodes) where templates[missing] == nil {
                throw StartupError("template \(name) uses \(missing), which does not exist")
            }
        }
        self.templates = templates
    }

    public func contains(_ name: String) -> Bool { templates[name] != nil }

    /// `model` rendered with the template `name` as UTF-8 bytes, or nil if there is no such template.
    public func render(_ model: Any, template name: String) -> [UInt8]? {
        guard let nodes = templates[name] else { return nil }
        var renderer = TemplateRenderer(templates: templates, capacity: Self.initialCapacity)
        renderer.render(nodes, model: model)
        return renderer.output
    }

    /// The same, as a String (tests and text output).
    public func renderString(_ model: Any, template name: String) -> String? {
        render(model, template: name).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func references(_ nodes: [TemplateNode]) -> [String] {
        nodes.flatMap { node -> [String] in
            switch node {
            case .text, .variable: []
            case .section(_, let body, _): references(body)
            case .partial(let name): [name]
            case .parent(let name, let overrides): [name] + overrides.values.flatMap(references)
            case .block(_, let body): references(body)
            }
        }
    }
}
