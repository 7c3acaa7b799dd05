import CustosCapture
import Foundation
import Testing

/// Maildir layouts: cur/new/tmp, Maildir++ hidden folders, and the bookkeeping files beside them.
struct MaildirLayoutTests {
    @Test func readsMessagesAndSkipsBookkeeping() throws {
        let root = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let message = Array("Date: Mon, 14 May 2001 16:39:00 -0700\nFrom: a@b.com\n\nbody\n".utf8)
        for folder in ["cur", "new", "tmp", ".Sent/cur", ".git/objects", "Archive/2001"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for name in ["cur/1:2,S", "new/2", "tmp/3", ".Sent/cur/4", ".git/objects/5", "Archive/2001/6", ".hidden",
                     "dovecot-uidlist", "maildirfolder", "subscriptions"] {
            try Fixture.write(message, named: name, in: root)
        }
        let harvest = try Harvest(.maildir, [root.path])
        #expect(harvest.errors.isEmpty)
        #expect(harvest.messages.map { String($0.source.dropFirst(root.path.count + 1)) }
            == [".Sent/cur/4", "Archive/2001/6", "cur/1:2,S", "new/2"])
    }
}
