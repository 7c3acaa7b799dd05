/// A validated RSMF 1.0 / 2.0 manifest (rsmf_manifest.json): the checks are those of the
/// published JSON schemas that capture depends on; a violation rejects the whole file, since
/// events cannot be attributed when participants or conversations are malformed.
struct RSMFManifest {
    /// A participant of the manifest.
    struct Person {
        var id: String
        var display: String?
        var email: String?
        var accountID: String?
    }

    /// A conversation of the manifest, with its platform and members.
    struct Conversation {
        var id: String
        var display: String?
        var platform: String
        var type: String?
        var participants: [String]
    }

    var version: String
    var people: [String: Person] = [:]
    var conversations: [String: Conversation] = [:]
    var events: [JSONValue] = []

    /// Parses and checks `bytes`; the reason names the offending path, e.g. `participants[0].id`.
    static func parse(_ bytes: [UInt8]) -> Result<RSMFManifest, Refusal> {
        func fail(_ text: String) -> Result<RSMFManifest, Refusal> { .failure(.init(text: text)) }
        guard let root = JSONValue.parse(bytes) else { return fail("rsmf_manifest.json is not valid JSON") }
        guard root.isObject else { return fail("rsmf_manifest.json is \(root.typeName), not an object") }
        guard let version = root["version"]?.string else { return fail("manifest has no \"version\" string") }
        guard version.hasPrefix("1.") || version.hasPrefix("2.") else {
            return fail("unsupported RSMF version '\(EmailParser.printable(version))' (1.x and 2.x are read)")
        }
        var manifest = RSMFManifest(version: version)
        guard let people = root["participants"]?.array else { return fail("manifest has no \"participants\" array") }
        for (index, person) in people.enumerated() {
            let field = "participants[\(index)]"
            guard person.isObject else { return fail("\(field) is \(person.typeName), not an object") }
            guard let idValue = person["id"] else { return fail("\(field) has no \"id\" (required by the schema)") }
            guard let id = idValue.string else { return fail("\(field).id must be a string, not \(idValue.typeName)") }
            manifest.people[id] = Person(id: id, display: person["display"]?.string, email: person["email"]?.string,
                                         accountID: person["account_id"]?.string)
        }
        guard let conversations = root["conversations"]?.array else {
            return fail("manifest has no \"conversations\" array")
        }
        for (index, conversation) in conversations.enumerated() {
            let field = "conversations[\(index)]"
            guard conversation.isObject else { return fail("\(field) is \(conversation.typeName), not an object") }
            guard let idValue = conversation["id"] else { return fail("\(field) has no \"id\"") }
            guard let id = idValue.string else { return fail("\(field).id must be a string, not \(idValue.typeName)") }
            guard let platform = conversation["platform"]?.string else {
                return fail("\(field) has no \"platform\" string")
            }
            var members: [String] = []
            for (position, member) in (conversation["participants"]?.array ?? []).enumerated() {
                guard let memberID = member.string else {
                    return fail("\(field).participants[\(position)] must be a string, not \(member.typeName)")
                }
                members.append(memberID)
            }
            manifest.conversations[id] = Conversation(id: id, display: conversation["display"]?.string,
                                                      platform: platform, type: conversation["type"]?.string,
                                                      participants: members)
        }
        guard let events = root["events"]?.array else { return fail("manifest has no \"events\" array") }
        manifest.events = events
        return .success(manifest)
    }

    /// A lower-case platform name from the manifest's free text ("Microsoft Teams" → teams).
    static func platformName(_ raw: String) -> String {
        let lower = raw.lowercased()
        if lower.contains("teams") { return "teams" }
        var out = ""
        var dash = false
        for scalar in lower.unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" {
                out.unicodeScalars.append(scalar)
                dash = false
            } else if !out.isEmpty, !dash {
                out += "-"
                dash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "rsmf" : String(out.prefix(32))
    }

    /// The participant of `id` in a conversation on `platform`: by email when the manifest has one,
    /// else `<platform>:<account_id or id>` (ids without an email are local to the manifest).
    func participant(_ id: String, platform: String, part: ParticipantPart) -> Participant? {
        let person = people[id]
        if let email = person?.email, email.contains("@"),
           let participant = Identity.email(email, displayName: person?.display, part: part) {
            return participant
        }
        return Identity.handle(platform: platform, id: person?.accountID ?? id, displayName: person?.display, part: part)
    }
}
