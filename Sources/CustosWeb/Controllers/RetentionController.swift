import CustosCore
import CustosViews
import Foundation
import Hummingbird

/// Retention classes, the rules that assign them at capture, and disposition runs, for the admin role.
struct RetentionController {
    let retention: RetentionService
    let disposition: DispositionService
    let renderer: Renderer
    static let admin: Access = .roles([.admin])
    /// Most messages a dry run lists on the page (the command line lists them all).
    static let listLimit = 200

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.adminRetention, Self.admin) { request, context in
            let done = request.uri.queryParameters["done"].map(String.init) ?? ""
            return try page(context, notice: Self.notices[done], error: nil, status: .ok)
        }
        routes.post(Paths.adminRetentionClasses, Self.admin) { request, context in
            try await change(request, context, done: "created") { form in
                try retention.createClass(name: form["name"] ?? "", periodDays: try Self.days(form),
                                          description: form["description"] ?? "", actor: context.actor)
            }
        }
        routes.post(Paths.adminRetentionPeriod, Self.admin) { request, context in
            try await change(request, context, done: "changed") { form in
                try retention.setPeriod(name: form["name"] ?? "", periodDays: try Self.days(form),
                                        description: form["description"] ?? "", actor: context.actor)
            }
        }
        routes.post(Paths.adminRetentionRules, Self.admin) { request, context, auth in
            return try await change(request, context, done: "rule") { form in
                guard let kind = RetentionRuleKind(rawValue: form["kind"] ?? "") else {
                    throw DomainError.invalidInput("A rule matches a platform or a conversation.")
                }
                try retention.addRule(kind: kind, value: form["value"] ?? "", className: form["class"] ?? "", user: auth.user, actor: context.actor)
            }
        }
        routes.post(Paths.adminRetentionRuleDelete, Self.admin) { request, context in
            let id = try MattersController.id(context)
            return try await change(request, context, done: "removed") { _ in try retention.removeRule(id: id, actor: context.actor) }
        }
        routes.post(Paths.adminRetentionRun, Self.admin) { request, context in
            let form = try await Form.read(request, context: context)
            let dry = form["mode"] != "dispose"
            let report = try disposition.run(dryRun: dry, actor: context.actor, listLimit: Self.listLimit)
            let summary = dry
                ? "Dry run: \(report.due) message(s) are past retention; \(report.held) are kept by legal holds; \(report.due - report.held - report.refused) would be disposed of. Nothing was changed."
                : "Disposition run \(report.runID): \(report.disposed) message(s) disposed of; \(report.held) kept by legal holds."
            let refused = report.refused == 0 ? nil
                : "\(report.refused) message(s) were kept because their index rows no longer match their audited ingest records "
                    + "(first: \(report.problems.first ?? "")). Run custos verify and treat this as a security incident."
            return try page(context, notice: summary, error: refused, status: .ok, report: report)
        }
    }

    static let notices = [
        "created": "The retention class is created. Assign it with a rule; messages get their class when they are captured.",
        "changed": "The retention period is changed.",
        "rule": "The rule applies to messages captured from now on; messages already archived keep their class.",
        "removed": "The rule is removed; messages already archived keep their class.",
    ]

    static func days(_ form: Form) throws -> Int {
        try RetentionService.days(amount: form["amount"] ?? "", unit: form["unit"] ?? "")
    }

    private func change(_ request: Request, _ context: AppContext, done: String, _ body: (Form) throws -> Void) async throws -> Response {
        let form = try await Form.read(request, context: context)
        do {
            try body(form)
            return Response(status: .seeOther, headers: [.location: Paths.adminRetention + "?done=" + done])
        } catch let e as DomainError where e != .auditUnavailable {
            return try page(context, notice: nil, error: e.message, status: e.httpStatus)
        }
    }

    private func page(_ context: AppContext, notice: String?, error: String?, status: HTTPResponse.Status,
                      report: DispositionService.Report? = nil) throws -> Response {
        let o = try retention.overview(actor: context.actor)
        let classes = o.policies.map(\.name)
        return renderer.page("admin/retention", RetentionView(
            chrome: ChromeBuilder.make("Retention and disposition", context: context, current: Paths.adminRetention, notice: notice, error: error),
            policies: o.policies.map { p in
                PolicyRow(name: p.name, period: RetentionService.describe(days: p.periodDays), days: p.periodDays, description: p.description,
                          inUse: p.inUse, updatedAt: TimeFormat.utc(p.updatedAt))
            },
            rules: o.rules.map { r in
                RuleRow(kind: r.rule.kind.rawValue, value: r.value, className: r.rule.className, createdBy: r.rule.createdBy,
                        createdAt: TimeFormat.utc(r.rule.createdAt), deleteAction: Paths.with(Paths.adminRetentionRuleDelete, id: r.rule.id))
            },
            classes: classes.map { OptionRow(value: $0, label: $0, selected: false) },
            runs: o.runs.map { r in
                RunRow(id: r.id, startedAt: TimeFormat.utc(r.startedAt), kind: r.dryRun ? "dry run" : "disposition", actor: r.actor,
                       due: r.due, held: r.held, disposed: r.disposed, finished: r.finishedAt != nil)
            },
            disposed: o.disposed,
            listed: report?.listed.map { m in
                DueRow(id: m.id, path: Paths.with(Paths.message, id: m.id), sentAt: TimeFormat.utc(m.sentAt), platform: m.platform,
                       className: m.retentionClass)
            } ?? [],
            listedMore: report.map { max(0, ($0.due - $0.held) - $0.listed.count) } ?? 0,
            ranDry: report?.dryRun == true), status: status)
    }
}

struct PolicyRow: Sendable {
    var name: String
    var period: String
    var days: Int
    var description: String
    var inUse: Bool
    var updatedAt: String
}

struct RuleRow: Sendable {
    var kind: String
    var value: String
    var className: String
    var createdBy: String
    var createdAt: String
    var deleteAction: String
}

struct RunRow: Sendable {
    var id: Int64
    var startedAt: String
    var kind: String
    var actor: String
    var due: Int
    var held: Int
    var disposed: Int
    var finished: Bool
}

struct DueRow: Sendable { var id: Int64; var path: String; var sentAt: String; var platform: String; var className: String }

struct RetentionView: Sendable {
    var chrome: Chrome
    var policies: [PolicyRow]
    var rules: [RuleRow]
    var classes: [OptionRow]
    var runs: [RunRow]
    var disposed: Int
    var listed: [DueRow]
    var listedMore: Int
    var ranDry: Bool
}
