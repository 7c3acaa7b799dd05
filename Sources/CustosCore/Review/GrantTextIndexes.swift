import Synchronization

/// The content-search indexes of live grants, in this process's memory only. An index lives until its grant ends
/// (expiry or revocation drop it at once; every search first drops those past their time), or until it has not
/// been used for `idleLimit` seconds, or until newer indexes need its room under `byteBudget`; a later search
/// builds it again while the grant is live.
public final class GrantTextIndexes: Sendable {
    struct Entry {
        var index: GrantTextIndex
        var expiresAt: Int64
        var lastUsed: Int64
    }

    private let entries = Mutex<[Int64: Entry]>([:])
    /// Most bytes all indexes together may hold.
    public let byteBudget: Int
    /// Seconds an unused index is kept.
    public let idleLimit: Int64

    public init(byteBudget: Int = 256 << 20, idleLimit: Int64 = 30 * 60) {
        self.byteBudget = byteBudget
        self.idleLimit = idleLimit
    }

    /// The index of `grant` if held (and not past its time at `now`).
    func index(grant: Int64, now: Int64) -> GrantTextIndex? {
        entries.withLock { all in
            guard var e = all[grant], e.expiresAt > now else { return nil }
            e.lastUsed = now
            all[grant] = e
            return e.index
        }
    }

    /// Holds `index` for `grant` until `expiresAt`, making room under the budget by dropping the least recently used.
    func keep(_ index: GrantTextIndex, grant: Int64, expiresAt: Int64, now: Int64) {
        entries.withLock { all in
            all[grant] = Entry(index: index, expiresAt: expiresAt, lastUsed: now)
            var total = all.values.reduce(0) { $0 + $1.index.bytes }
            while total > byteBudget, let victim = all.filter({ $0.key != grant }).min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                total -= victim.value.index.bytes
                all[victim.key] = nil
            }
        }
    }

    /// Forgets the index of a grant that ended.
    public func drop(grant: Int64) {
        _ = entries.withLock { $0.removeValue(forKey: grant) }
    }

    /// Drops indexes whose grant is past its time, or unused for `idleLimit`; answers how many went.
    @discardableResult
    public func sweep(now: Int64) -> Int {
        entries.withLock { all in
            let gone = all.filter { $0.value.expiresAt <= now || now - $0.value.lastUsed >= idleLimit }.map(\.key)
            for key in gone { all[key] = nil }
            return gone.count
        }
    }

    /// The grants whose index is held now (for tests and the metrics page).
    public var heldGrants: [Int64] { entries.withLock { $0.keys.sorted() } }

    /// Bytes held by all indexes now.
    public var heldBytes: Int { entries.withLock { $0.values.reduce(0) { $0 + $1.index.bytes } } }
}
