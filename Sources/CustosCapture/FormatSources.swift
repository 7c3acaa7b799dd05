/// Chooses, for one path of a reader, which files it holds and which parser reads them.
enum FormatSources {
    /// The source of every message under `path` read as `format`.
    static func source(format: CaptureFormat, path: String) -> any ItemSource {
        let isFolder: Bool
        if case .directory = FileKind.following(path) { isFolder = true } else { isFolder = false }
        switch format {
        case .eml:
            guard isFolder else { return emailFile(path) }
            return files(under: path, include: { $0.lowercased().hasSuffix(".eml") }, open: emailFile)
        case .maildir:
            guard isFolder else { return emailFile(path) }
            return files(under: path, include: isMaildirMessage, enter: enterMaildirFolder, open: emailFile)
        case .mbox:
            guard isFolder else { return MboxSource(path: path) }
            // In a folder only files that start like an mbox count; index files (.msf) and the like do not.
            return files(under: path, include: { _ in true }) { file in
                FileBytes.starts(file, with: Array("From ".utf8)) ? MboxSource(path: file) as any ItemSource : OneResult(nil)
            }
        case .jsonl:
            guard isFolder else { return JSONLSource(path: path) }
            return files(under: path, include: { name in
                let lower = name.lowercased()
                return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
            }, open: { JSONLSource(path: $0) })
        case .slack:
            return SlackSource.open(path)
        case .rsmf:
            guard isFolder else { return RSMFSource.open(path) }
            if case .regular = FileKind.following(path + "/" + RSMFSource.manifestName) {
                return RSMFSource.open(path)
            }
            return files(under: path, include: { name in
                let lower = name.lowercased()
                return lower.hasSuffix(".rsmf") || lower.hasSuffix(".zip") || name == RSMFSource.manifestName
            }, open: { RSMFSource.open($0) })
        }
    }

    /// One RFC 5322 message in a file.
    static func emailFile(_ path: String) -> any ItemSource {
        Deferred {
            switch FileBytes.read(path, limit: CaptureLimits.messageBytes) {
            case .success(let bytes): OneResult(EmailParser.capture(bytes, source: path))
            case .failure(let error): OneResult(.failure(error))
            }
        }
    }

    /// Files under `root` chosen by `include`, each opened with `open`.
    private static func files(
        under root: String, include: @escaping (String) -> Bool,
        enter: @escaping (String, String) -> Bool = { name, _ in !name.hasPrefix(".") },
        open: @escaping (String) -> any ItemSource
    ) -> any ItemSource {
        let walker = FileWalker(root: root, includeFile: include, enterDirectory: enter)
        return Concatenation {
            guard let file = walker.next() else { return nil }
            return open(file)
        }
    }

    /// Maildir bookkeeping files that are not messages (Dovecot, Courier, Maildir++).
    private static func isMaildirMessage(_ name: String) -> Bool {
        let lower = name.lowercased()
        return !(lower.hasPrefix("dovecot") || lower.hasPrefix("courier") || lower == "maildirfolder"
            || lower == "subscriptions" || lower == "maildirsize")
    }

    /// Every folder except `tmp` of a maildir (deliveries in progress); hidden folders only when
    /// they are Maildir++ subfolders (they hold a `cur` folder).
    private static func enterMaildirFolder(_ name: String, _ parent: String) -> Bool {
        if name == "tmp", case .directory = FileKind(parent + "/cur") { return false }
        if name.hasPrefix(".") {
            if case .directory = FileKind(parent + "/" + name + "/cur") { return true }
            return false
        }
        return true
    }
}
