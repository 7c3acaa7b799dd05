@testable import CustosCore
import CustosRuntime
@testable import CustosViews
@testable import CustosWeb
import Foundation
import Mustache
import Testing

/// The pages' template engine (`TemplateLibrary`): Mustache's rules as swift-mustache applies them,
/// checked rule by rule and then page by page against swift-mustache itself on the real templates,
/// and its refusals (no unescaped output, broken templates stop loading).
@Suite struct TemplateEngineTests {
    struct Item: Sendable { var name: String; var note: String?; var tags: [String] }
    struct Model: Sendable {
        var title: String
        var count: Int
        var flag: Bool
        var off: Bool
        var missing: String?
        var empty: [Item]
        var items: [Item]
        var nested: Item
        var name: String
    }

    static let model = Model(title: "A <b>&\"'</b> title", count: 0, flag: true, off: false, missing: nil, empty: [],
                             items: [Item(name: "one", note: "n1", tags: ["x", "y"]), Item(name: "two", note: nil, tags: [])],
                             nested: Item(name: "inner", note: nil, tags: []), name: "outer")

    func render(_ source: String, _ model: Any = Self.model, partials: [String: String] = [:]) throws -> String {
        let library = try TemplateLibrary(sources: partials.merging(["page": source]) { a, _ in a })
        return try #require(library.renderString(model, template: "page"))
    }

    @Test func variablesAreEscapedAndNamesResolve() throws {
        #expect(try render("{{title}}") == "A &lt;b&gt;&amp;&quot;&#39;&lt;/b&gt; title")
        #expect(try render("{{count}} {{flag}} {{off}} [{{missing}}] [{{nope}}]") == "0 true false [] []")
        #expect(try render("{{nested.name}} {{nested.nope.deeper}}|") == "inner |")
        #expect(try render("{{ title }}") == "A &lt;b&gt;&amp;&quot;&#39;&lt;/b&gt; title")
        #expect(try render("é ☃ 🔐 {{name}}", Model(title: "", count: 1, flag: true, off: true, missing: nil, empty: [], items: [],
                                                     nested: Item(name: "", note: nil, tags: []), name: "naïve 👩‍⚖️ <x>"))
                == "é ☃ 🔐 naïve 👩‍⚖️ &lt;x&gt;")
    }

    @Test func sectionsFollowMustacheTruthiness() throws {
        #expect(try render("{{#flag}}yes{{/flag}}{{#off}}no{{/off}}{{^off}}not off{{/off}}") == "yesnot off")
        #expect(try render("{{#missing}}a{{/missing}}{{^missing}}none{{/missing}}") == "none")
        #expect(try render("{{#empty}}a{{/empty}}{{^empty}}empty{{/empty}}") == "empty")
        #expect(try render("{{#items}}[{{name}}:{{#tags}}{{.}}{{/tags}}]{{/items}}") == "[one:xy][two:]")
        // A present value of any other kind (here the number 0 and a string) renders once, as the context.
        #expect(try render("{{#count}}<{{.}}>{{/count}}{{#title}}t{{/title}}{{^title}}no{{/title}}") == "<0>t")
        #expect(try render("{{#nested}}{{name}}/{{title}}{{/nested}}") == "inner/A &lt;b&gt;&amp;&quot;&#39;&lt;/b&gt; title")
    }

    @Test func lookupsClimbOutwardsPastMissingAndNilValues() throws {
        // `note` is nil on the second item, so the lookup climbs (and finds nothing); `name` is found innermost.
        #expect(try render("{{#items}}{{name}}={{note}};{{title}}|{{/items}}") == "one=n1;A &lt;b&gt;&amp;&quot;&#39;&lt;/b&gt; title|two=;A &lt;b&gt;&amp;&quot;&#39;&lt;/b&gt; title|")
        #expect(try render("{{#nested}}{{#flag}}{{name}}{{/flag}}{{/nested}}") == "inner")
    }

    @Test func standaloneTagLinesLeaveNoBlankLines() throws {
        #expect(try render("a\n{{#flag}}\n  b\n{{/flag}}\nc\n") == "a\n  b\nc\n")
        #expect(try render("a\n  {{^flag}}  \nhidden\n  {{/flag}}\t\nc") == "a\nc")
        #expect(try render("{{! a comment }}\nx {{#flag}}y{{/flag}} z\n{{! another\nspanning lines }}\n") == "x y z\n")
        #expect(try render("a {{#flag}}\nb\n{{/flag}} c") == "a \nb\n c")
        #expect(try render("\r\n{{#flag}}\r\nb\r\n{{/flag}}\r\n") == "\r\nb\r\n")
    }

    @Test func parentsBlocksAndPartials() throws {
        let partials = ["layout": "<h1>{{title}}</h1>\n{{$content}}default{{/content}}\n<footer>{{$foot}}f{{/foot}}</footer>",
                        "row": "<li>{{name}}</li>"]
        #expect(try render("{{<layout}}{{$content}}<ul>{{#items}}{{>row}}{{/items}}</ul>{{/content}}{{/layout}}", partials: partials)
                == "<h1>A &lt;b&gt;&amp;&quot;&#39;&lt;/b&gt; title</h1>\n<ul><li>one</li><li>two</li></ul>\n<footer>f</footer>")
        #expect(try render("{{<layout}}\n{{/layout}}", partials: partials).contains("default"))
    }

    @Test func unescapedOutputAndBrokenTemplatesAreRefusedAtLoad() {
        for (source, reason) in [("{{{title}}}", "unescaped"), ("{{&title}}", "unescaped"), ("{{=<% %>=}}", "set-delimiter"),
                                 ("{{#a}}x", "never closed"), ("{{#a}}x{{/b}}", "closes {{a}}"), ("x{{/a}}", "closes nothing"),
                                 ("{{title", "not closed"), ("{{a b}}", "not a valid name"), ("{{a..b}}", "dotted"),
                                 ("{{<layout}}text{{/layout}}", "only {{$block}}")] {
            #expect {
                _ = try TemplateLibrary(sources: ["page": source, "layout": ""])
            } throws: { error in
                "\(error)".contains(reason) && "\(error)".contains("page.mustache, line 1")
            }
        }
        #expect(throws: StartupError.self) { _ = try TemplateLibrary(sources: ["page": "{{>nowhere}}"]) }
    }

    /// Every page of the application rendered by this engine and by swift-mustache, from the same
    /// view models (with hostile values in them), gives the same text but for whitespace between
    /// tags: swift-mustache repeats a block tag's indentation on every line of the block's content
    /// (and so inside a `<textarea>` too), this engine copies the template's lines as they are.
    static func collapsingWhitespace(_ s: String) -> String {
        s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r\n" }).joined(separator: " ")
    }

    @Test func pagesRenderAsSwiftMustacheDoes() async throws {
        let directory = try Resources.locate().templates.path
        let ours = try TemplateLibrary(directory: directory)
        let reference = try await MustacheLibrary(directory: directory)
        let hostile = "<script>alert('x')</script> & \"q\" — naïve 👩‍⚖️ {{title}}"
        var chrome = ViewModelTests.chrome
        chrome.notice = hostile
        chrome.title = hostile
        var search = ViewModelTests.search
        search.chrome = chrome
        var unran = search
        unran.ran = false
        unran.saved = []
        var hit = ViewModelTests.hit
        hit.conversation = hostile
        hit.disposedAt = 1_924_992_000
        search.hits = [HitRow(hit, current: true), ViewModelTests.row]
        var signedOut = chrome
        signedOut.signedIn = false
        let pages: [(String, Any)] = [
            ("search/search", search), ("search/search", unran), ("search/message", ViewModelTests.message),
            ("search/conversation", ViewModelTests.conversation),
            ("error", ErrorView(chrome: signedOut, status: 404, reason: "Not Found", message: hostile, requestID: "r-1", signInLink: true)),
            ("custodian/device", CustodianDeviceView(chrome: chrome, hasDevice: true, fingerprint: hostile, enrolledAt: "2026-01-01 00:00 UTC",
                                                     created: CreatedEnrolmentCode(code: hostile, command: hostile, validMinutes: 15),
                                                     codeAction: "/custodian/device/code")),
            ("custodian/device", CustodianDeviceView(chrome: chrome, hasDevice: false, fingerprint: "", enrolledAt: "", created: nil,
                                                     codeAction: "/custodian/device/code")),
        ]
        for (template, model) in pages {
            let expected = try #require(reference.render(model, withTemplate: template))
            let got = try #require(ours.renderString(model, template: template))
            let (a, b) = (Self.collapsingWhitespace(got), Self.collapsingWhitespace(expected))
            #expect(a == b, "\(template): first difference at \(a.commonPrefix(with: b).count)")
            #expect(!got.contains("<script>"))
        }
    }
}
