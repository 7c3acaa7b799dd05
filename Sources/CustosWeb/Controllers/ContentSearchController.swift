import CustosCore
import CustosViews
import Hummingbird

/// `GET /requests/{id}/search`: the text of a live grant's messages, searched by its requester. Results are
/// content: the page is not cached, and each hit shows the words around the first match, escaped like all text.
struct ContentSearchController {
    let search: ContentSearchService
    let renderer: Renderer

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.requestSearch, .roles([.auditor])) { request, context, auth in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no request with that number.") }
            let q = request.uri.queryParameters
            let typed = (text: q["q"].map(String.init) ?? "", sender: q["from"].map(String.init) ?? "",
                         after: q["after"].map(String.init) ?? "", before: q["before"].map(String.init) ?? "")
            var view = ContentSearchView(
                chrome: ChromeBuilder.make("Search the content of grant \(id)", context: context, current: Paths.requests),
                action: Paths.with(Paths.requestSearch, id: id), grantPath: Paths.with(Paths.request, id: id),
                text: typed.text, sender: typed.sender, after: typed.after, before: typed.before,
                asked: false, hitCount: 0, searched: 0, hits: [], expiresAt: "")
            do {
                let query = try ContentSearchService.Query.parse(text: typed.text, sender: typed.sender, after: typed.after, before: typed.before)
                guard !query.isEmpty else { return renderer.page("review/search", view) }
                let result = try search.search(requestID: id, query: query, user: auth.user, actor: context.actor)
                view.asked = true
                view.hitCount = result.hits.count
                view.searched = result.searched
                view.expiresAt = TimeFormat.utc(result.expiresAt)
                view.hits = result.hits.map { h in
                    ContentHitRow(id: h.message.messageID, path: Paths.with(Paths.messageContent, id: h.message.messageID),
                                  sentAt: TimeFormat.utc(h.message.sentAt), sender: h.message.sender,
                                  before: h.before, match: h.match, after: h.after)
                }
                return renderer.page("review/search", view)
            } catch DomainError.invalidInput(let message) {
                view.chrome = ChromeBuilder.make("Search the content of grant \(id)", context: context, current: Paths.requests, error: message)
                return renderer.page("review/search", view, status: .badRequest)
            }
        }
    }
}

struct ContentHitRow: Sendable {
    var id: Int64
    var path: String
    var sentAt: String
    var sender: String
    var before: String
    var match: String
    var after: String
}

/// The content search page of a grant.
struct ContentSearchView: Sendable {
    var chrome: Chrome
    var action: String
    var grantPath: String
    var text: String
    var sender: String
    var after: String
    var before: String
    var asked: Bool
    var hitCount: Int
    var searched: Int
    var hits: [ContentHitRow]
    var expiresAt: String
}
