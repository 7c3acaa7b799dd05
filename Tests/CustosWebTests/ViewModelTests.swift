@testable import CustosCore
@testable import CustosViews
@testable import CustosWeb
import Foundation
import Testing

/// The pages' view models answer the template engine by name (a switch, not reflection) and format times by arithmetic
/// (not a DateFormatter per call); both must give exactly what reflection and Foundation give.
@Suite struct ViewModelTests {
    static let hit = SearchService.Hit(id: 42, sentAt: 1_700_000_000, platform: "email", conversation: "thread <a>", conversationKey: "ab",
                                       size: 2_048, attachmentCount: 1, mediaTypes: "application/pdf,image/png", senders: ["Ada <ada@x>"],
                                       recipients: ["to: Bob <bob@y>"])

    static let chrome = Chrome(title: "Search", csrf: "token", signedIn: true, username: "ada", displayName: "Ada", activeRole: "auditor",
                               otherRoles: [Chrome.RoleOption(value: "legal", title: "Legal")], canSwitchRole: true,
                               nav: [Chrome.NavItem(href: "/search", label: "Search", current: true)], notice: nil, error: "bad date")

    /// Every stored property, looked up by name, equals what `Mirror` finds; unknown names give nil.
    private func expectMatchesMirror(_ value: some TemplateParent, _ type: String) {
        var labels = 0
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            labels += 1
            let expected = unwrapped(child.value).flatMap(TemplateValue.reflecting)
            let found = value.child(named: label)
            #expect(found.map(kind) == expected.map(kind), "\(type).\(label)")
            #expect(found?.description == expected?.description, "\(type).\(label)")
        }
        #expect(labels > 0)
        #expect(value.child(named: "noSuchProperty") == nil)
    }

    private func kind(_ value: TemplateValue) -> String {
        switch value {
        case .text: "text"
        case .integer: "integer"
        case .flag: "flag"
        case .node: "node"
        case .list: "list"
        case .other: "other"
        }
    }

    static let form: SearchFormView = {
        var q = SearchQuery()
        q.participant = "ada@example.com"
        q.cursor = SearchCursor(sentAt: 1, id: 2)
        return SearchFormView(q, platforms: ["email", "slack"])
    }()
    static let row = HitRow(hit, current: true)
    static let search = SearchView(chrome: chrome, form: form, ran: true, total: 7, hits: [row], nextPath: "/search?cursor=1.2",
                                   firstPagePath: nil, platformFacets: [FacetRow(label: "email", count: 7)],
                                   monthFacets: [FacetRow(label: "2023-11", count: 7)], hidden: [HiddenField(name: "participant", value: "ada")],
                                   canSave: true, hasHits: true, archiveTotal: 9,
                                   saved: [SavedRow(name: "mine", filters: "participant: ada", path: "/search?x", deleteAction: "/d")],
                                   exportLimit: "10,000", canRequest: true, requestAllPath: "/requests/new?participant=ada", requestLimit: 1_000)
    static let message = MessageView(chrome: chrome, message: row, direction: "inbound", capturedAt: "2023-11-14 22:13 UTC",
                                     retentionClass: "default", retentionEnds: "2030-11-14",
                                     holds: [HoldBadge(id: 3, matter: "SEC", active: true, path: "/holds/3")], heldNow: true, epoch: 1, ciphertextHash: "00", participants: [PartRow(part: "from", display: "Ada")],
                                     neighbours: [row], conversationPath: "/conversations/ab", canRequest: true,
                                     requestPath: "/requests/new?message_id=42", requestConversationPath: "/requests/new?conversation=ab",
                                     contentPath: "/messages/42/content")
    static let conversation = ConversationView(chrome: chrome, title: "thread", total: 1, hits: [row], olderPath: nil, canRequest: false,
                                               requestPath: "/requests/new?conversation=ab")

    @Test func childrenByNameMatchReflection() {
        let (form, row, search, message, conversation) = (Self.form, Self.row, Self.search, Self.message, Self.conversation)
        expectMatchesMirror(Self.chrome, "Chrome")
        expectMatchesMirror(Self.chrome.otherRoles[0], "RoleOption")
        expectMatchesMirror(Self.chrome.nav[0], "NavItem")
        expectMatchesMirror(row, "HitRow")
        expectMatchesMirror(search.platformFacets[0], "FacetRow")
        expectMatchesMirror(search.hidden[0], "HiddenField")
        expectMatchesMirror(search.saved[0], "SavedRow")
        expectMatchesMirror(message.participants[0], "PartRow")
        expectMatchesMirror(form.parts[0], "OptionRow")
        expectMatchesMirror(form, "SearchFormView")
        expectMatchesMirror(search, "SearchView")
        expectMatchesMirror(message, "MessageView")
        expectMatchesMirror(conversation, "ConversationView")
    }

    @Test func pathPatternsAreFilled() {
        #expect(Paths.with(Paths.message, id: 42) == "/messages/42")
        #expect(Paths.with(Paths.conversation, key: "00ff") == "/conversations/00ff")
        #expect(Paths.with("/a/{id}/b/{id}", key: "7") == "/a/7/b/7")
        #expect(Paths.with("/{i/{id", key: "7") == "/{i/{id")
        #expect(Paths.with("/é/{id}", id: -1) == "/é/-1")
        #expect(HitRow(Self.hit).mediaTypes == "application/pdf, image/png")
    }

    @Test func utcTimesMatchFoundation() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        var rng = SystemRandomNumberGenerator()
        let fixed: [Int64] = [0, 59, 60, 3_599, 86_399, 86_400, 951_782_400, 1_709_164_800, 1_735_689_599, 4_102_444_800, -1, -86_401]
        for t in fixed + (0..<5_000).map({ _ in Int64.random(in: -2_208_988_800...7_258_118_400, using: &rng) }) {
            #expect(TimeFormat.utc(t) == f.string(from: Date(timeIntervalSince1970: TimeInterval(t))), "\(t)")
        }
    }
}
