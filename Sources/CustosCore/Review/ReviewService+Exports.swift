/// Legal's exports of a matter's review: the coding of every message (no content), and the privilege log — the list
/// of messages withheld as privileged that a producing party gives the other side. Each export is audited with
/// its row count.
extension ReviewService {
    /// One export, ready to send.
    public struct Export: Sendable {
        public var csv: String
        public var rows: Int
    }

    /// Every coded message of matter `matterID`: number, sent time, platform, one column per layout field, tags,
    /// who coded it and when, and how often it changed.
    public func codingCSV(matterID: Int64, user: User, actor: Actor) throws -> Export {
        try export(matterID, kind: "coding", user: user, actor: actor) { layout, decisions, uow in
            var header = ["message", "sent_at", "platform"] + layout.fields.map(\.key)
            header += ["tags", "basis_given", "reviewer", "coded_at", "first_coded_at", "changes_after_first"]
            var lines = [header.map(CSV.field).joined(separator: ",")]
            for d in decisions {
                let m = try uow.search.message(id: d.messageID)
                var row = [String(d.messageID), m.map { ISO8601.format($0.sentAt) } ?? "", m?.platform ?? ""]
                row += layout.fields.map { f in d.codes[f.key] ?? "" }
                row += [d.tags.joined(separator: ";"), d.basis == nil ? "no" : "yes", d.reviewer, ISO8601.format(d.codedAt),
                        ISO8601.format(d.firstCodedAt), String(d.changes)]
                lines.append(row.map(CSV.field).joined(separator: ","))
            }
            return lines
        }
    }

    /// The messages of matter `matterID` coded privileged: number, date, author, recipients, the privilege claimed and
    /// its basis as the reviewer wrote it.
    public func privilegeLogCSV(matterID: Int64, user: User, actor: Actor) throws -> Export {
        try export(matterID, kind: "privilege-log", user: user, actor: actor) { layout, decisions, uow in
            var lines = [["message", "date", "from", "recipients", "privilege", "basis", "reviewer"].joined(separator: ",")]
            let privileged = decisions.filter { layout.isPrivileged($0.codes) }
            let people = Dictionary(grouping: try uow.search.participants(of: privileged.map(\.messageID)), by: \.messageID)
            for d in privileged {
                let m = try uow.search.message(id: d.messageID)
                let parts = people[d.messageID] ?? []
                let open = { (p: IndexedParticipant) in (try? indexer.open(p.display, purpose: "participant")) ?? "(unreadable)" }
                let row = [String(d.messageID), m.map { ISO8601.day($0.sentAt) } ?? "",
                           parts.filter { $0.part == "from" }.map(open).joined(separator: "; "),
                           parts.filter { $0.part != "from" }.map { "\($0.part): \(open($0))" }.joined(separator: "; "),
                           layout.label(field: CodingLayout.privilegeField, value: d.codes[CodingLayout.privilegeField] ?? ""),
                           try d.basis.map { try indexer.open($0, purpose: "review-basis") } ?? "", d.reviewer]
                lines.append(row.map(CSV.field).joined(separator: ","))
            }
            return lines
        }
    }

    private func export(_ matterID: Int64, kind: String, user: User, actor: Actor,
                        _ body: (CodingLayout, [ReviewDecisionRecord], any UnitOfWork) throws -> [String]) throws -> Export {
        try HoldService.requireLegal(actor, user)
        let scope = ReviewScope.matter(matterID)
        let lines = try archive.read { uow -> [String] in
            guard try uow.holds.matter(id: matterID) != nil else { throw DomainError.notFound("There is no matter with that number.") }
            guard try uow.holds.members(matterID: matterID).contains(where: { $0.userID == user.id }) else {
                throw DomainError.forbidden("Only members of the matter export its review.")
            }
            return try body(try Self.layout(scope, uow: uow), try uow.review.decisions(scope: scope), uow)
        }
        try archive.record(actor.draft(.reviewExported, target: scope.description, details: ["kind": kind, "rows": "\(lines.count - 1)"]))
        return Export(csv: lines.joined(separator: "\r\n") + "\r\n", rows: lines.count - 1)
    }
}
