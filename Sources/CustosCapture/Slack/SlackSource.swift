/// Reads a Slack export (a folder, or the .zip Slack hands out): users.json and the conversation
/// lists first, then each conversation folder's day files (`YYYY-MM-DD.json`) one at a time.
///
/// Every entry of a day file becomes a message, including joins, leaves and bot posts: an archive
/// keeps the record of who entered a conversation, and counts then match the export exactly.
final class SlackSource: ItemSource {
    private let path: String
    private let files: any ExportFiles
    private let directory: SlackDirectory
    private var folders: ArraySlice<String>
    private var dayFiles: ArraySlice<String> = []
    private var folder = ""
    private var dayFile = ""
    private var messages: ArraySlice<JSONValue> = []
    private var item = 0

    private init(path: String, files: any ExportFiles, directory: SlackDirectory) {
        self.path = path
        self.files = files
        self.directory = directory
        folders = files.folders()[...]
    }

    /// The messages of the export at `path`, or one error if it is not a Slack export.
    static func open(_ path: String) -> any ItemSource {
        func failure(_ reason: String) -> any ItemSource {
            OneResult(.failure(CaptureItemError(source: path, reason: reason)))
        }
        let files: any ExportFiles
        switch FileKind.following(path) {
        case .directory:
            files = FolderExport(root: path)
        case .regular:
            guard FileBytes.starts(path, with: [0x50, 0x4B]) else {
                return failure("not a Slack export: expected a folder or a .zip file")
            }
            guard let zip = ZipExport.open(path: path, marker: "users.json") else {
                return failure("not a Slack export: users.json missing from the ZIP file (or the ZIP is damaged)")
            }
            files = zip
        case .other, .missing:
            return failure("not a Slack export: no such folder or file")
        }
        switch SlackDirectory.load(files) {
        case .success(let directory): return SlackSource(path: path, files: files, directory: directory)
        case .failure(let reason): return failure(reason.text)
        }
    }

    func next() -> CaptureReader.Element? {
        while true {
            if let message = messages.popFirst() {
                item += 1
                let source = "\(path)#\(folder)/\(dayFile)#item-\(item)"
                return SlackMessage.capture(message, folder: folder, directory: directory, source: source)
            }
            if let file = dayFiles.popFirst() {
                dayFile = file
                item = 0
                if let error = load(folder + "/" + file) { return .failure(error) }
                continue
            }
            guard let next = folders.popFirst() else { return nil }
            folder = next
            dayFiles = files.files(in: next).filter { $0.lowercased().hasSuffix(".json") }[...]
        }
    }

    /// Loads one day file into `messages`; an error if it cannot be read or is not a JSON array.
    private func load(_ relative: String) -> CaptureItemError? {
        let source = "\(path)#\(relative)"
        switch files.read(relative, limit: CaptureLimits.jsonDocumentBytes) {
        case nil:
            return CaptureItemError(source: source, reason: "day file disappeared while reading")
        case .failure(let reason)?:
            return CaptureItemError(source: source, reason: reason.text)
        case .success(let bytes)?:
            guard let document = JSONValue.parse(bytes) else {
                return CaptureItemError(source: source, reason: "day file is not valid JSON")
            }
            guard let list = document.array else {
                return CaptureItemError(source: source, reason: "day file is \(document.typeName), not a JSON array of messages")
            }
            messages = list[...]
            return nil
        }
    }
}
