/// The directory of a Slack export: who is who and which conversation each folder holds.
struct SlackDirectory {
    /// A conversation listed in channels.json, groups.json, dms.json or mpims.json.
    struct Conversation {
        var id: String
        var name: String?
        var kind: String
        var members: [String]
    }

    /// Display names by user id.
    var users: [String: String] = [:]
    /// Conversations by their folder name (channel name, or id for direct messages).
    var conversations: [String: Conversation] = [:]

    /// Reads the directory files; users.json is required, the conversation lists are optional.
    static func load(_ files: any ExportFiles) -> Result<SlackDirectory, Refusal> {
        var directory = SlackDirectory()
        switch files.read("users.json", limit: CaptureLimits.jsonDocumentBytes) {
        case nil:
            return .failure(.init(text: "not a Slack export: users.json missing"))
        case .failure(let reason)?:
            return .failure(reason)
        case .success(let bytes)?:
            guard let users = JSONValue.parse(bytes)?.array else {
                return .failure(.init(text: "not a Slack export: users.json is not a JSON array"))
            }
            for user in users {
                guard let id = user["id"]?.string else { continue }
                let profile = user["profile"]
                let names = [profile?["real_name"], user["real_name"], profile?["display_name"], user["name"]]
                directory.users[id] = names.compactMap { $0?.string }.first { !$0.isEmpty }
            }
        }
        for (file, kind) in [("channels.json", "channel"), ("groups.json", "private_channel"), ("mpims.json", "mpim"),
                             ("dms.json", "im")] {
            guard case .success(let bytes)? = files.read(file, limit: CaptureLimits.jsonDocumentBytes),
                  let list = JSONValue.parse(bytes)?.array else { continue }
            for item in list {
                guard let id = item["id"]?.string else { continue }
                let name = item["name"]?.string
                let members = item["members"]?.array?.compactMap(\.string) ?? []
                let conversation = Conversation(id: id, name: name, kind: kind, members: members)
                // Exports name channel folders by channel name and direct-message folders by id.
                directory.conversations[id] = conversation
                if let name, !name.isEmpty { directory.conversations[name] = conversation }
            }
        }
        return .success(directory)
    }
}

/// Converts one Slack message object into a `CapturedMessage`.
enum SlackMessage {
    /// The message, or a reason (`item` counts from 1 within its day file).
    static func capture(_ value: JSONValue, folder: String, directory: SlackDirectory, source: String)
        -> CaptureReader.Element {
        func fail(_ reason: String) -> CaptureReader.Element {
            .failure(CaptureItemError(source: source, reason: reason))
        }
        guard value.isObject else { return fail("message is \(value.typeName), not a JSON object") }
        guard let seconds = unixSeconds(value["ts"]) else { return fail("message has no valid \"ts\" timestamp") }
        let conversation = directory.conversations[folder]
        let conversationID = conversation?.id ?? folder

        var participants = ParticipantList()
        var sender: JSONValue?
        if let user = value["user"]?.string, !user.isEmpty {
            let name = directory.users[user] ?? value["user_profile"]?["real_name"]?.string
            if let participant = Identity.handle(platform: "slack", id: user, displayName: name, part: .from) {
                participants.add(participant)
            }
            sender = ChatDocument.party(id: user, name: name)
        } else if let bot = value["bot_id"]?.string, !bot.isEmpty {
            // Bots post under a bot id; their shown name is the message's username.
            let name = value["username"]?.string ?? value["bot_profile"]?["name"]?.string
            if let participant = Identity.handle(platform: "slack", id: bot, displayName: name, part: .from) {
                participants.add(participant)
            }
            sender = ChatDocument.party(id: bot, name: name, extra: ["bot": .bool(true)])
        }
        for member in conversation?.members ?? [] {
            if let participant = Identity.handle(platform: "slack", id: member, displayName: directory.users[member],
                                                 part: .member) {
                participants.add(participant)
            }
        }

        var files = value["files"]?.array ?? []
        if let single = value["file"], single.isObject { files.append(single) }
        var attachments: [JSONValue] = []
        var mediaTypes: [String] = []
        for file in files where file.isObject {
            let type = file["mimetype"]?.string.flatMap(MediaType.normalized) ?? "application/octet-stream"
            mediaTypes.append(type)
            attachments.append(ChatDocument.attachment(name: file["name"]?.string ?? file["title"]?.string,
                                                       mediaType: type, size: file["size"]?.int))
        }

        var document = ChatDocument()
        document.set("platform", string: "slack")
        document.set("conversation", ChatDocument.party(id: conversationID, name: conversation?.name ?? folder,
                                                        extra: ["type": .string(conversation?.kind ?? "channel")]))
        document.set("sender", sender)
        document.set("time", ChatDocument.timestamp(seconds))
        document.set("ts", value["ts"])
        document.set("text", value["text"])
        document.set("subtype", value["subtype"])
        document.set("thread_ts", value["thread_ts"])
        document.set("attachments", .array(attachments))
        document.set("original", value)
        let content = document.bytes
        return .success(CapturedMessage(
            uid: ContentID.uid(platform: "slack", content: content), platform: "slack",
            conversation: "slack:" + conversationID, sentAt: seconds, participants: participants.ordered,
            attachmentCount: attachments.count, mediaTypes: MediaType.sortedUnique(mediaTypes), content: content,
            source: source
        ))
    }

    /// Slack's `ts` ("1452837318.000002", the message id) in whole seconds; nil if absent or absurd.
    static func unixSeconds(_ ts: JSONValue?) -> Int64? {
        let seconds: Int64?
        switch ts {
        case .string(let text)?: seconds = Int64(text.prefix { $0 != "." })
        case .int(let value)?: seconds = value
        case .double(let value)? where value.isFinite && abs(value) < 1e15: seconds = Int64(value.rounded(.down))
        default: seconds = nil
        }
        // Years 1000 to 9999, as everywhere else in capture.
        guard let seconds, (-30_610_224_000...253_402_300_799).contains(seconds) else { return nil }
        return seconds
    }
}
