import Foundation

/// Reads RSMF (Relativity Short Message Format) 1.0 / 2.0 in any of its shapes: an .rsmf file
/// (an EML carrying rsmf.zip), an rsmf.zip, a bare rsmf_manifest.json, or a folder holding one.
///
/// Every event becomes a message (messages, joins, leaves, disclaimers, history), as with Slack.
/// The spec allows exactly one attachment at the EML layer; a file with extra ones is still read,
/// since its rsmf.zip is unambiguous and an archive should not drop records on a technicality.
final class RSMFSource: ItemSource {
    static let manifestName = "rsmf_manifest.json"

    private let path: String
    private let files: any ExportFiles
    private let manifest: RSMFManifest
    private var index = 0

    private init(path: String, files: any ExportFiles, manifest: RSMFManifest) {
        self.path = path
        self.files = files
        self.manifest = manifest
    }

    /// The events of the RSMF at `path`, or one error for the whole file.
    static func open(_ path: String) -> any ItemSource {
        func failure(_ reason: String) -> any ItemSource {
            OneResult(.failure(CaptureItemError(source: path, reason: reason)))
        }
        let files: any ExportFiles
        switch container(path) {
        case .success(let found): files = found
        case .failure(let reason): return failure(reason.text)
        }
        switch files.read(manifestName, limit: CaptureLimits.jsonDocumentBytes) {
        case nil:
            return failure("not an RSMF file: rsmf_manifest.json missing")
        case .failure(let reason)?:
            return failure(reason.text)
        case .success(let bytes)?:
            switch RSMFManifest.parse(bytes) {
            case .success(let manifest): return RSMFSource(path: path, files: files, manifest: manifest)
            case .failure(let reason): return failure("invalid RSMF manifest: \(reason.text)")
            }
        }
    }

    /// Where the manifest and its attachments live for each shape of input.
    private static func container(_ path: String) -> Result<any ExportFiles, Refusal> {
        switch FileKind.following(path) {
        case .directory:
            return .success(FolderExport(root: path))
        case .other, .missing:
            return .failure(.init(text: "not an RSMF file: no such file or folder"))
        case .regular:
            break
        }
        let url = URL(fileURLWithPath: path)
        if url.lastPathComponent == manifestName {
            return .success(FolderExport(root: url.deletingLastPathComponent().path))
        }
        if FileBytes.starts(path, with: [0x50, 0x4B]) {
            guard let zip = ZipExport.open(path: path, marker: manifestName) else {
                return .failure(.init(text: "not an RSMF zip: rsmf_manifest.json missing (or the ZIP is damaged)"))
            }
            return .success(zip)
        }
        switch FileBytes.read(path, limit: CaptureLimits.rsmfFileBytes, what: "RSMF file") {
        case .failure(let error): return .failure(.init(text: error.reason))
        case .success(let bytes): return embeddedZip(bytes)
        }
    }

    /// The rsmf.zip attachment of an RSMF EML.
    private static func embeddedZip(_ bytes: [UInt8]) -> Result<any ExportFiles, Refusal> {
        let header = HeaderBlock(bytes, range: 0..<bytes.count)
        guard !header.fields.isEmpty else { return .failure(.init(text: "not an RSMF file: neither EML, ZIP nor JSON")) }
        var zipPart: MIMELeaf?
        MIMEWalker.walk(bytes, header: header) { leaf in
            let name = leaf.disposition?.parameters["filename"] ?? leaf.contentType?.parameters["name"]
            if zipPart == nil, name?.lowercased() == "rsmf.zip" { zipPart = leaf }
        }
        guard let part = zipPart else { return .failure(.init(text: "not an RSMF file: no rsmf.zip attachment")) }
        let raw = Data(bytes[part.body])
        let encoding = part.header.text("content-transfer-encoding")?.lowercased()
        let data = encoding == "base64" ? Data(base64Encoded: raw, options: .ignoreUnknownCharacters) : raw
        guard let data, let zip = ZipExport.open(data: data, marker: manifestName) else {
            return .failure(.init(text: "rsmf.zip attachment is not a readable ZIP with rsmf_manifest.json"))
        }
        return .success(zip)
    }

    func next() -> CaptureReader.Element? {
        guard index < manifest.events.count else { return nil }
        let event = manifest.events[index]
        index += 1
        return RSMFEvent.capture(event, manifest: manifest, files: files, source: "\(path)#event-\(index)")
    }
}
