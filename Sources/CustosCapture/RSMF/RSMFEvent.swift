/// Converts one RSMF event into a `CapturedMessage`.
enum RSMFEvent {
    /// The message of `event`, or a reason it cannot be archived (no time, no conversation).
    static func capture(_ event: JSONValue, manifest: RSMFManifest, files: any ExportFiles, source: String)
        -> CaptureReader.Element {
        func fail(_ reason: String) -> CaptureReader.Element {
            .failure(CaptureItemError(source: source, reason: reason))
        }
        guard event.isObject else { return fail("event is \(event.typeName), not an object") }
        guard let type = event["type"]?.string else { return fail("event has no \"type\" string") }
        guard let timestamp = event["timestamp"]?.string else {
            return fail("event has no \"timestamp\": an archive cannot index it without a time")
        }
        // RSMF writes ISO 8601 times, often without an offset; those are read as UTC.
        guard let sentAt = CivilTime.parseRFC3339(timestamp, assumeUTC: true) else {
            return fail("event timestamp '\(EmailParser.printable(timestamp))' is not an ISO 8601 date-time")
        }
        guard let conversationID = event["conversation"]?.string else { return fail("event has no \"conversation\"") }
        guard let conversation = manifest.conversations[conversationID] else {
            return fail("event refers to conversation '\(EmailParser.printable(conversationID))', which the manifest does not define")
        }
        let platform = RSMFManifest.platformName(conversation.platform)

        var participants = ParticipantList()
        var sender: JSONValue?
        if let author = event["participant"]?.string {
            if let participant = manifest.participant(author, platform: platform, part: .from) {
                participants.add(participant)
            }
            let person = manifest.people[author]
            var extra: [String: JSONValue] = [:]
            if let email = person?.email { extra["email"] = .string(email) }
            sender = ChatDocument.party(id: author, name: person?.display, extra: extra)
        }
        for member in conversation.participants {
            if let participant = manifest.participant(member, platform: platform, part: .member) {
                participants.add(participant)
            }
        }

        var attachments: [JSONValue] = []
        var mediaTypes: [String] = []
        for item in event["attachments"]?.array ?? [] where item.isObject {
            let id = item["id"]?.string
            let name = item["display"]?.string ?? id
            let type = guessMediaType(name ?? "")
            mediaTypes.append(type)
            let size = item["size"]?.int ?? id.flatMap { files.size($0) }
            attachments.append(ChatDocument.attachment(name: name, mediaType: type, size: size))
        }

        var document = ChatDocument()
        document.set("platform", string: platform)
        document.set("conversation", ChatDocument.party(id: conversation.id, name: conversation.display,
                                                        extra: conversation.type.map { ["type": .string($0)] } ?? [:]))
        document.set("sender", sender)
        document.set("time", ChatDocument.timestamp(sentAt))
        document.set("type", string: type)
        document.set("text", event["body"])
        document.set("parent", event["parent"])
        document.set("attachments", .array(attachments))
        document.set("rsmf_version", string: manifest.version)
        document.set("original", event)
        let content = document.bytes
        return .success(CapturedMessage(
            uid: ContentID.uid(platform: platform, content: content), platform: platform,
            conversation: platform + ":" + conversation.id, sentAt: sentAt, participants: participants.ordered,
            attachmentCount: attachments.count, mediaTypes: MediaType.sortedUnique(mediaTypes), content: content,
            source: source
        ))
    }

    /// RSMF gives no media types; the usual ones follow from the file extension, others are
    /// application/octet-stream. Only the type reaches the index, never the name.
    static func guessMediaType(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "application/octet-stream" }
        let ext = name[name.index(after: dot)...].lowercased()
        let known: [String: String] = [
            "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
            "heic": "image/heic", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff", "svg": "image/svg+xml",
            "pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv", "html": "text/html", "htm": "text/html",
            "json": "application/json", "xml": "application/xml", "zip": "application/zip",
            "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg", "opus": "audio/opus", "wav": "audio/wav",
            "mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "eml": "message/rfc822",
        ]
        return known[ext] ?? "application/octet-stream"
    }
}
