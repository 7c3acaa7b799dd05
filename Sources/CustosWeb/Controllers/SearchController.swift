import CustosCore
import CustosViews
import Foundation
import Hummingbird

/// The auditor's workbench: metadata search, message and conversation pages, saved searches, CSV export.
struct SearchController {
    let search: SearchService
    let decryption: DecryptionService
    let holds: HoldService
    let renderer: Renderer
    static let readers: Access = .roles([.auditor, .legal])

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.search, Self.readers) { request, context, auth in
            let params = Self.pairs(request)
            // A bare /search shows the form; a search runs (and is audited) only when asked for.
            if params.isEmpty {
                return searchPage(context, query: SearchQuery(), page: nil, around: try search.surroundings(user: auth.user),
                                  error: nil, status: .ok)
            }
            do {
                let q = try SearchQuery.parse(params)
                let found = try search.searchPage(q, actor: context.actor, user: auth.user)
                return searchPage(context, query: q, page: found.page, around: found.surroundings, error: nil, status: .ok)
            } catch let e as DomainError where e != .auditUnavailable {
                let typed = SearchQuery.lenient(params)
                return searchPage(context, query: typed, page: nil, around: try search.surroundings(user: auth.user),
                                  error: e.message, status: e.httpStatus)
            }
        }
        routes.post(Paths.searchExport, Self.readers) { request, context in
            let form = try await Form.read(request, context: context)
            let q = try SearchQuery.parse(Self.queryFields(form))
            let export = try search.exportCSV(q, actor: context.actor)
            return Response(status: .ok, headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"custos-search.csv\"",
            ], body: .init(byteBuffer: ByteBuffer(string: export.csv)))
        }
        routes.post(Paths.searchSaved, Self.readers) { request, context, auth in
            let form = try await Form.read(request, context: context)
            let params = Self.queryFields(form)
            let q = try SearchQuery.parse(params)
            try search.save(q, name: form["name"] ?? "", user: auth.user, actor: context.actor)
            return Response(status: .seeOther, headers: [.location: Paths.search + "?" + SearchService.encode(q.parameters)])
        }
        routes.post(Paths.searchSavedDelete, Self.readers) { _, context, auth in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no such saved search.") }
            try search.deleteSaved(id: id, user: auth.user, actor: context.actor)
            return Response(status: .seeOther, headers: [.location: Paths.search])
        }
        routes.get(Paths.message, Self.readers) { _, context, auth in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw DomainError.notFound("There is no message with that number.") }
            let d = try search.message(id: id, actor: context.actor)
            let holds = try holds.covering(messageID: id)
            let isLegal = auth.session.activeRole == .legal
            return renderer.page("search/message", MessageView(
                chrome: ChromeBuilder.make("Message \(id)", context: context, current: Paths.search),
                message: HitRow(d.hit), direction: d.direction, capturedAt: TimeFormat.utc(d.capturedAt),
                retentionClass: d.retentionClass, retentionEnds: d.retentionEndsAt.map(ISO8601.day),
                holds: holds.map { HoldBadge(id: $0.holdID, matter: $0.matterName, active: $0.active,
                                             path: isLegal ? Paths.with(Paths.hold, id: $0.holdID) : nil) },
                heldNow: holds.contains(where: \.active), epoch: d.epoch, ciphertextHash: d.ciphertextHash,
                participants: d.participants.map { PartRow(part: $0.part, display: $0.display) },
                neighbours: d.neighbours.map { HitRow($0, current: $0.id == id) },
                conversationPath: Paths.with(Paths.conversation, key: d.hit.conversationKey),
                canRequest: Self.canRequest(context), requestPath: Paths.requestsNew + "?message_id=\(id)",
                requestConversationPath: Paths.requestsNew + "?conversation=" + d.hit.conversationKey,
                contentPath: try Self.canRequest(context) && decryption.liveGrant(messageID: id, user: auth.user) != nil
                    ? Paths.with(Paths.messageContent, id: id) : nil))
        }
        routes.get(Paths.conversation, Self.readers) { request, context in
            guard let key = context.parameters.get("id"), key.count == 64, key.allSatisfy(\.isHexDigit) else {
                throw DomainError.notFound("There is no such conversation.")
            }
            var params = [("conversation", key)]
            if let cursor = request.uri.queryParameters["cursor"] { params.append(("cursor", String(cursor))) }
            let q = try SearchQuery.parse(params)
            let page = try search.search(q, actor: context.actor)
            return renderer.page("search/conversation", ConversationView(
                chrome: ChromeBuilder.make("Conversation", context: context, current: Paths.search),
                title: page.hits.first?.conversation ?? "", total: page.total,
                hits: page.hits.reversed().map { HitRow($0) },
                olderPath: page.next.map { "?cursor=\($0.encoded)" },
                canRequest: Self.canRequest(context), requestPath: Paths.requestsNew + "?conversation=" + key))
        }
    }

    private func searchPage(_ context: AppContext, query q: SearchQuery, page: SearchService.Page?, around: SearchService.Surroundings,
                            error: String?, status: HTTPResponse.Status) -> Response {
        let platforms = around.platforms
        let saved = around.saved
        let base = SearchService.encode(q.parameters)
        let view = SearchView(
            chrome: ChromeBuilder.make("Search", context: context, current: Paths.search, error: error),
            form: SearchFormView(q, platforms: platforms),
            ran: page != nil, total: page?.total ?? 0, hits: page?.hits.map { HitRow($0) } ?? [],
            nextPath: page?.next.map { Paths.search + "?" + (base.isEmpty ? "" : base + "&") + "cursor=\($0.encoded)" },
            firstPagePath: q.cursor != nil ? Paths.search + "?" + base : nil,
            platformFacets: page?.platforms.map { FacetRow(label: $0.0, count: $0.1) } ?? [],
            monthFacets: page?.months.map { FacetRow(label: $0.0, count: $0.1) } ?? [],
            hidden: q.parameters.map { HiddenField(name: $0.0, value: $0.1) },
            canSave: !q.isUnfiltered && page != nil,
            hasHits: !(page?.hits.isEmpty ?? true),
            archiveTotal: around.archiveTotal,
            saved: saved.map { SavedRow(name: $0.name, filters: Self.describe($0.query), path: Paths.search + "?" + $0.query,
                                        deleteAction: Paths.with(Paths.searchSavedDelete, id: $0.id)) },
            exportLimit: SearchService.exportLimit.formatted(),
            canRequest: Self.canRequest(context), requestAllPath: Paths.requestsNew + "?" + SearchService.encode(q.parameters.filter { $0.0 != "cursor" }),
            requestLimit: decryption.policy.maximumMessages)
        return renderer.page("search/search", view, status: status)
    }

    /// Only an auditor, acting as one, files decryption requests.
    static func canRequest(_ context: AppContext) -> Bool {
        context.auth?.session.activeRole == .auditor
    }

    /// A saved query shown as readable filters ("participant: x · after: 2001-06-01").
    static func describe(_ query: String) -> String {
        query.split(separator: "&").map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            return kv.count == 2 ? "\(kv[0]): \(kv[1])" : kv.joined()
        }.joined(separator: " · ")
    }

    /// The query string as ordered pairs.
    static func pairs(_ request: Request) -> [(String, String)] {
        request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }

    /// The search filters carried by a form (export, save), ignoring csrf and name.
    static func queryFields(_ form: Form) -> [(String, String)] {
        SearchQuery.parameterNames.subtracting(["cursor"]).sorted().compactMap { name in form[name].map { (name, $0) } }
    }
}

extension SearchQuery {
    /// The typed values kept for re-display after a validation error (never used to search).
    static func lenient(_ params: [(String, String)]) -> SearchQuery {
        var q = SearchQuery()
        for (k, v) in params where v.utf8.count <= 512 {
            switch k {
            case "participant": q.participant = v
            case "domain": q.domain = v
            case "after": q.after = v
            case "before": q.before = v
            case "conversation": q.conversation = v
            case "part": q.part = Part(rawValue: v) ?? .any
            default: break
            }
        }
        return q
    }
}
