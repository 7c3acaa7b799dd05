import CustosCapture
import CustosCore
import CustosCrypto
import Foundation

/// Reads captured messages lazily, seals each to the archive key and uploads them in batches,
/// a few batches in flight at once. Re-running is safe: the archive answers "duplicate" for a uid it has.
public struct CaptureUploader: Sendable {
    /// Batch sizes and parallelism.
    public struct Options: Sendable {
        /// Most messages in one request (the server takes up to 1000).
        public var batchSize: Int
        /// A batch is sent once its JSON would grow past this many bytes.
        public var batchBytes: Int
        /// Batches uploading at once.
        public var concurrency: Int
        /// Largest request the server accepts; a single message encoding larger is rejected locally.
        public var maximumRequestBytes: Int

        /// 500 messages or 8 MiB per batch, two batches in flight, requests up to 48 MiB.
        public init(batchSize: Int = 500, batchBytes: Int = 8 << 20, concurrency: Int = 2, maximumRequestBytes: Int = 48 << 20) {
            self.batchSize = min(max(1, batchSize), 1000)
            self.batchBytes = max(1, batchBytes)
            self.concurrency = max(1, concurrency)
            self.maximumRequestBytes = maximumRequestBytes
        }
    }

    /// The server's base URL.
    public let server: String
    let token: String
    /// The trust root and state the archive key is checked against.
    public let trust: ArchiveTrust
    /// Batch sizes and parallelism.
    public let options: Options
    /// How transient failures are retried.
    public let retry: RetryPolicy

    /// An uploader to `server` (http:// or https://) presenting the capture `token`, sealing only to a key that
    /// verifies from `trust`.
    public init(server: String, token: String, trust: ArchiveTrust, options: Options = Options(), retry: RetryPolicy = RetryPolicy()) throws {
        self.server = try IngestClient.baseURL(server)
        self.token = token
        self.trust = trust
        self.options = options
        self.retry = retry
    }

    /// Fetches the chain of epochs and checks it from the trust root, then captures every item of `messages` and answers what happened.
    ///
    /// Parse errors and rejected items are collected, not thrown; a refused token, a missing archive
    /// key or a server that stays unreachable after retries stops the run with a `CaptureClientError`.
    public func run<Messages: Sequence>(
        _ messages: Messages, observer: @escaping @Sendable (CaptureEvent) -> Void = { _ in }
    ) async throws -> CaptureSummary where Messages.Element == Result<CapturedMessage, CaptureItemError> {
        try await IngestClient.session(server: server, token: token, retry: retry) { client in
            try await upload(messages, through: client, observer: observer)
        }
    }

    private func upload<Messages: Sequence>(
        _ messages: Messages, through client: IngestClient, observer: @escaping @Sendable (CaptureEvent) -> Void
    ) async throws -> CaptureSummary where Messages.Element == Result<CapturedMessage, CaptureItemError> {
        let key = try await client.trustedArchiveKey(trust)
        let writer = EnvelopeWriter(publicKey: key)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        var tally = Tally(observer: observer)
        var batch = BatchBuilder()
        var seen: Set<String> = []
        try await withThrowingTaskGroup(of: BatchOutcome.self) { group in
            var inFlight = 0
            func dispatch() async throws {
                guard !batch.isEmpty else { return }
                if inFlight >= options.concurrency, let done = try await group.next() {
                    inFlight -= 1
                    tally.absorb(done)
                }
                let ready = batch.take()
                group.addTask { try await BatchOutcome(entries: ready.entries, answer: client.upload(ready.body, expecting: ready.entries.count)) }
                inFlight += 1
                // Let finished uploads and the progress display run between CPU-bound stretches of sealing.
                await Task.yield()
            }
            for element in messages {
                try Task.checkCancellation()
                tally.read()
                let message: CapturedMessage
                switch element {
                case .failure(let error):
                    tally.reject(CaptureRejection(source: error.source, reason: error.reason))
                    continue
                case .success(let m):
                    message = m
                }
                guard seen.insert(message.uid).inserted else {
                    tally.duplicate()
                    continue
                }
                let json: Data
                do {
                    json = try encoder.encode(writer.item(for: message))
                } catch {
                    tally.reject(CaptureRejection(source: message.source, uid: message.uid, reason: "cannot seal the message: \(Self.describe(error))"))
                    continue
                }
                guard json.count + BatchBuilder.framing <= options.maximumRequestBytes else {
                    let mib = (json.count + (1 << 20) - 1) >> 20
                    tally.reject(CaptureRejection(source: message.source, uid: message.uid,
                                                  reason: "too large to upload (\(mib) MiB encoded; the server takes \(options.maximumRequestBytes >> 20) MiB per request)"))
                    continue
                }
                if batch.count >= options.batchSize || (!batch.isEmpty && batch.bytes + json.count > options.batchBytes) {
                    try await dispatch()
                }
                batch.append(json, entry: BatchEntry(uid: message.uid, source: message.source))
            }
            try await dispatch()
            while let done = try await group.next() { tally.absorb(done) }
        }
        return CaptureSummary(progress: tally.progress, rejections: tally.rejections, epoch: key.epoch)
    }

    /// Error text without message content: our own errors describe themselves, others are named by type.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as CryptoError:
            switch e {
            case .invalidKey(let m), .invalidInput(let m), .operationFailed(let m): m
            case .authenticationFailed: "authentication failed"
            }
        case is EncodingError: "its metadata cannot be encoded as JSON"
        default: String(describing: type(of: error))
        }
    }
}

/// Where one batch item came from, to name it in a rejection.
struct BatchEntry: Sendable {
    var uid: String
    var source: String
}

/// One uploaded batch and the server's answer to it.
struct BatchOutcome: Sendable {
    var entries: [BatchEntry]
    var answer: IngestClient.BatchAnswer
}

/// Accumulates encoded items into one `{"messages":[…]}` request body.
struct BatchBuilder {
    /// Bytes of `{"messages":[` and `]}`.
    static let framing = 16
    private(set) var entries: [BatchEntry] = []
    private var body: [UInt8] = Array(#"{"messages":["#.utf8)

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var bytes: Int { body.count + 2 }

    mutating func append(_ json: Data, entry: BatchEntry) {
        if !entries.isEmpty { body.append(UInt8(ascii: ",")) }
        body.append(contentsOf: json)
        entries.append(entry)
    }

    /// The finished batch; the builder starts over.
    mutating func take() -> (entries: [BatchEntry], body: [UInt8]) {
        var done = body
        done.append(contentsOf: Array("]}".utf8))
        defer { self = BatchBuilder() }
        return (entries, done)
    }
}

/// The running counts and rejections, reported to the observer as they change.
struct Tally {
    let observer: @Sendable (CaptureEvent) -> Void
    private(set) var progress = CaptureProgress()
    private(set) var rejections: [CaptureRejection] = []

    init(observer: @escaping @Sendable (CaptureEvent) -> Void) { self.observer = observer }

    mutating func read() {
        progress.read += 1
        observer(.progress(progress))
    }

    mutating func duplicate() {
        progress.duplicates += 1
        observer(.progress(progress))
    }

    mutating func reject(_ rejection: CaptureRejection) {
        rejections.append(rejection)
        progress.rejected += 1
        observer(.rejected(rejection))
        observer(.progress(progress))
    }

    mutating func absorb(_ outcome: BatchOutcome) {
        switch outcome.answer {
        case .refused(let reason):
            for entry in outcome.entries { note(CaptureRejection(source: entry.source, uid: entry.uid, reason: "batch refused by the server: \(reason)")) }
        case .results(let results):
            for (entry, result) in zip(outcome.entries, results) {
                switch result.status {
                case .stored: progress.captured += 1
                case .duplicate: progress.duplicates += 1
                case .rejected: note(CaptureRejection(source: entry.source, uid: entry.uid, reason: result.reason ?? "rejected by the server"))
                }
            }
        }
        observer(.progress(progress))
    }

    /// Records a rejection without a progress event (the caller sends one for the whole batch).
    private mutating func note(_ rejection: CaptureRejection) {
        rejections.append(rejection)
        progress.rejected += 1
        observer(.rejected(rejection))
    }
}
