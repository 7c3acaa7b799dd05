/// Reads messages of one format from files or folders, lazily: one result per message found,
/// in a stable order (paths as given, folders in byte-wise name order), never holding a whole
/// corpus in memory. Malformed items come out as `.failure` with a reason; iteration goes on.
public struct CaptureReader: Sequence, Sendable {
    public typealias Element = Result<CapturedMessage, CaptureItemError>

    /// The format every path is read as.
    public let format: CaptureFormat
    /// The files or folders to read, in order.
    public let paths: [String]

    /// Checks that there is something to read; throws `CaptureItemError` for a missing path.
    public init(format: CaptureFormat, paths: [String]) throws {
        guard !paths.isEmpty else { throw CaptureItemError(source: "", reason: "no file or folder given") }
        for path in paths {
            if case .missing = FileKind.following(path) {
                throw CaptureItemError(source: path, reason: "no such file or folder")
            }
        }
        self.format = format
        self.paths = paths
    }

    /// Starts a fresh pass over the paths.
    public func makeIterator() -> Iterator {
        Iterator(source: PathChain(format: format, paths: paths))
    }

    /// Advances through the messages; copies of one iterator share its position.
    public struct Iterator: IteratorProtocol {
        private let source: any ItemSource

        init(source: any ItemSource) {
            self.source = source
        }

        /// The next message or per-item error; nil when every path is exhausted.
        public mutating func next() -> Result<CapturedMessage, CaptureItemError>? {
            source.next()
        }
    }
}

/// A producer of capture results. A class, so advancing it never copies buffered state.
protocol ItemSource: AnyObject {
    /// The next result, or nil when this source is exhausted.
    func next() -> CaptureReader.Element?
}

/// A source of exactly one prepared result (a single file, or a whole-file error).
final class OneResult: ItemSource {
    private var pending: CaptureReader.Element?

    init(_ result: CaptureReader.Element?) {
        pending = result
    }

    func next() -> CaptureReader.Element? {
        defer { pending = nil }
        return pending
    }
}

/// A source computed only when first asked, so opening every path up front costs nothing.
final class Deferred: ItemSource {
    private var make: (() -> any ItemSource)?
    private var inner: (any ItemSource)?

    init(_ make: @escaping () -> any ItemSource) {
        self.make = make
    }

    func next() -> CaptureReader.Element? {
        if let make {
            inner = make()
            self.make = nil
        }
        return inner?.next()
    }
}

/// Concatenates sources produced one after another by `produce` until it returns nil.
final class Concatenation: ItemSource {
    private let produce: () -> (any ItemSource)?
    private var current: (any ItemSource)?

    init(_ produce: @escaping () -> (any ItemSource)?) {
        self.produce = produce
    }

    func next() -> CaptureReader.Element? {
        while true {
            if let current, let result = current.next() { return result }
            guard let following = produce() else { return nil }
            current = following
        }
    }
}

/// The sources of every path of a reader, in order.
final class PathChain: ItemSource {
    private let inner: Concatenation

    init(format: CaptureFormat, paths: [String]) {
        var remaining = paths[...]
        inner = Concatenation {
            guard let path = remaining.popFirst() else { return nil }
            return Deferred { FormatSources.source(format: format, path: path) }
        }
    }

    func next() -> CaptureReader.Element? {
        inner.next()
    }
}
