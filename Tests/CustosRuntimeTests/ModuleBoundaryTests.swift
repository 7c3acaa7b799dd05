import Foundation
import Testing

/// The runtime, the pages rendered without a server, and the commands that need no web server stay clear of
/// the web module and Hummingbird: in Package.swift (every target they depend on, transitively) and in their
/// sources' imports. The `custos` binary still links Hummingbird for `serve`; this is what can be held.
@Suite struct ModuleBoundaryTests {
    static let root = RuntimeFixture.repoRoot
    /// Modules of the web server: ours, Hummingbird's and the SwiftNIO under it.
    static var webModule: Regex<(Substring, Substring)> { #/^\s*(?:@\w+\s+)*(?:public\s+|internal\s+|package\s+)?import\s+(?:(?:struct|class|enum|protocol|func|typealias|let|var)\s+)?(CustosWeb|Hummingbird\w*|NIO\w*)(?!\w)/# }
    /// The files of the executable allowed to import the web module: `custos serve` and `custos demo`.
    static let webCommands: Set<String> = ["Commands.swift", "Demo.swift"]

    @Test func theRuntimeAndTheViewsDependOnNoWebTargetOrProductInPackageSwift() throws {
        let package = try PackageTargets(text: String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8))
        #expect(package.targets["CustosRuntime"] != nil && package.targets["CustosViews"] != nil, "the targets are read")
        #expect(package.targets["CustosWeb"]?.products.contains("hummingbird/Hummingbird") == true, "products are read")
        for module in ["CustosRuntime", "CustosViews"] {
            let (targets, products) = package.closure(of: module)
            #expect(!targets.contains("CustosWeb"), "\(module) depends on CustosWeb")
            let web = products.filter { $0.hasPrefix("hummingbird/") || $0.hasPrefix("swift-nio") }
            #expect(web.isEmpty, "\(module) depends on \(web.sorted())")
        }
    }

    @Test func noSourceOfTheRuntimeOrTheViewsImportsTheWebServer() throws {
        for module in ["CustosRuntime", "CustosViews"] {
            let files = try Self.swiftFiles(in: "Sources/\(module)")
            #expect(!files.isEmpty, "Sources/\(module) is read")
            for file in files {
                let imports = try Self.webImports(file)
                #expect(imports.isEmpty, "\(module)/\(file.lastPathComponent) imports \(imports)")
            }
        }
    }

    @Test func onlyServeAndDemoImportTheWebServerInTheExecutable() throws {
        let files = try Self.swiftFiles(in: "Sources/custos")
        for file in files where !Self.webCommands.contains(file.lastPathComponent) {
            let imports = try Self.webImports(file)
            #expect(imports.isEmpty, "custos/\(file.lastPathComponent) imports \(imports)")
        }
        // The commands named in issue 19 are where the rule must hold, wherever their files move.
        for command in ["Verify", "RetentionRun", "ReportAccess", "Keys", "Token", "OneTimePassword", "Init"] {
            let declaring = try files.filter { file in
                try String(contentsOf: file, encoding: .utf8).split(separator: "\n").contains { $0.hasPrefix("struct \(command): ") }
            }
            #expect(declaring.count == 1, "`\(command)` is declared at the top level of one file")
            for file in declaring {
                #expect(!Self.webCommands.contains(file.lastPathComponent), "`\(command)` lives beside `serve` in \(file.lastPathComponent)")
            }
        }
    }

    /// The checks above would pass vacuously if the readers saw nothing: they find what they look for.
    @Test func theReadersFindAWebDependencyTwoTargetsAwayAndEveryFormOfImport() throws {
        let text = """
            .target(name: "A", dependencies: ["B", .product(name: "Logging", package: "swift-log")]),
            // .target(name: "Commented", dependencies: ["CustosWeb"]),
            .target(
                name: "B",
                dependencies: [
                    .product(name: "HummingbirdCore", package: "hummingbird"),
                ]
            ),
            """
        let (targets, products) = try PackageTargets(text: text).closure(of: "A")
        #expect(targets == ["B"] && products == ["swift-log/Logging", "hummingbird/HummingbirdCore"])
        for line in ["import Hummingbird", "@testable import CustosWeb", "public import NIOCore", "import struct HummingbirdCore.Request",
                     "@preconcurrency import NIOHTTP1"] {
            #expect(line.firstMatch(of: Self.webModule) != nil, "\(line)")
        }
        for line in ["import CustosRuntime", "// import Hummingbird", "import CustosWebClient2"] {
            #expect(line.firstMatch(of: Self.webModule) == nil, "\(line)")
        }
    }

    static func swiftFiles(in folder: String) throws -> [URL] {
        let dir = root.appendingPathComponent(folder)
        guard let walk = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return walk.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
    }

    static func webImports(_ file: URL) throws -> [String] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { line in
            line.firstMatch(of: webModule).map { String($0.1) }
        }
    }
}

/// The targets of a Package.swift and what each depends on, read from its text: `swift package dump-package`
/// would answer exactly but takes seconds and a resolved package graph.
struct PackageTargets {
    struct Target {
        var targets: [String] = []
        /// `package/product`.
        var products: [String] = []
    }

    var targets: [String: Target] = [:]

    init(text: String) throws {
        let source = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line) }
            .joined(separator: "\n")
        for start in source.matches(of: #/\.(?:target|executableTarget|testTarget|systemLibrary)\(/#) {
            let body = Self.balanced(source, from: start.range.upperBound, open: "(", close: ")")
            guard let name = body.firstMatch(of: #/name:\s*"([^"]+)"/#)?.1 else { continue }
            var target = Target()
            if let deps = body.firstMatch(of: #/dependencies:\s*\[/#) {
                var list = Self.balanced(body, from: deps.range.upperBound, open: "[", close: "]")
                for product in list.matches(of: #/\.product\(\s*name:\s*"([^"]+)"\s*,\s*package:\s*"([^"]+)"[^)]*\)/#) {
                    target.products.append("\(product.2)/\(product.1)")
                }
                list.replace(#/\.product\([^)]*\)/#, with: "")
                target.targets = list.matches(of: #/"([^"]+)"/#).map { String($0.1) }
            }
            targets[String(name)] = target
        }
    }

    /// Every target `name` depends on, directly or not, and every product any of them uses.
    func closure(of name: String) -> (targets: Set<String>, products: Set<String>) {
        var seen: Set<String> = []
        var products: Set<String> = []
        var queue = [name]
        while let next = queue.popLast() {
            guard seen.insert(next).inserted, let target = targets[next] else { continue }
            products.formUnion(target.products)
            queue += target.targets
        }
        seen.remove(name)
        return (seen, products)
    }

    /// The text from `from` up to the bracket that closes the one just before it.
    private static func balanced(_ text: String, from: String.Index, open: Character, close: Character) -> String {
        var depth = 1
        var i = from
        while i < text.endIndex {
            if text[i] == open { depth += 1 }
            if text[i] == close {
                depth -= 1
                if depth == 0 { break }
            }
            i = text.index(after: i)
        }
        return String(text[from..<i])
    }
}
