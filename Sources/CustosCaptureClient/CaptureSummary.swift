/// One item that did not make it into the archive, with where it came from and why.
public struct CaptureRejection: Sendable, Equatable, CustomStringConvertible {
    /// The file path, or `path#item-n`, of the item.
    public var source: String
    /// The capture uid, when the item got far enough to have one.
    public var uid: String?
    /// Why: a parse error from the reader or the server's reason; never message content.
    public var reason: String

    /// A rejection of the item at `source`.
    public init(source: String, uid: String? = nil, reason: String) {
        self.source = source
        self.uid = uid
        self.reason = reason
    }

    /// `source: reason`.
    public var description: String { "\(source): \(reason)" }
}

/// Counts of a capture run so far.
public struct CaptureProgress: Sendable, Equatable {
    /// Items taken from the reader, parse errors included.
    public var read = 0
    /// Newly stored by the archive.
    public var captured = 0
    /// Already in the archive (or repeated within this run), so not stored again.
    public var duplicates = 0
    /// Refused by the parser, the client or the server.
    public var rejected = 0

    /// Zero counts.
    public init() {}

    /// The CLI's one-line form: `N read, N captured, N duplicates, N rejected`.
    public var line: String { "\(read) read, \(captured) captured, \(duplicates) duplicates, \(rejected) rejected" }
}

/// What a finished capture run did.
public struct CaptureSummary: Sendable, Equatable {
    /// Final counts.
    public var progress: CaptureProgress
    /// Every rejected item with its reason, in the order they were learnt.
    public var rejections: [CaptureRejection]
    /// The archive key epoch the envelopes were sealed to.
    public var epoch: Int

    /// Newly stored messages.
    public var captured: Int { progress.captured }
    /// Messages the archive already had.
    public var duplicates: Int { progress.duplicates }
    /// Items that were not archived.
    public var rejected: Int { progress.rejected }

    /// The contract line scripts read: `captured N, duplicates N, rejected N`.
    public var line: String { "captured \(captured), duplicates \(duplicates), rejected \(rejected)" }
}

/// What a running capture reports to its observer.
public enum CaptureEvent: Sendable {
    /// The counts changed.
    case progress(CaptureProgress)
    /// One item was rejected (already counted in the next progress event).
    case rejected(CaptureRejection)
}

/// A failure that stops the whole run (as opposed to a rejected item).
public enum CaptureClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered 401 to the capture token.
    case tokenRefused
    /// The server has no archive key yet (no key ceremony has run).
    case noArchiveKey(String)
    /// `--server` is not an http(s) URL.
    case invalidServerURL(String)
    /// The server answered with a status the client cannot act on.
    case server(status: Int, message: String)
    /// The server's answer is not what the ingest API promises.
    case invalidResponse(String)
    /// The server could not be reached, even after retries.
    case unreachable(String)
    /// The archive key the server offers does not verify from the trust root; nothing was sealed or sent.
    case untrustedKey(String)

    /// A message a person can act on; never includes the token.
    public var description: String {
        switch self {
        case .tokenRefused: "the capture token was refused: revoked or mistyped"
        case .noArchiveKey(let m): "the server has no archive key yet (the key custodians must complete a key ceremony): \(m)"
        case .invalidServerURL(let u): "\(u) is not an http:// or https:// server address"
        case .server(let status, let m): "the server answered \(status): \(m)"
        case .invalidResponse(let m): "the server's answer is not a valid ingest response: \(m)"
        case .unreachable(let m): "the server could not be reached: \(m)"
        case .untrustedKey(let m): "refusing the archive key, nothing was uploaded: \(m)"
        }
    }
}
