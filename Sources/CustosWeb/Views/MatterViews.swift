import CustosCore
import CustosViews

/// View models of the matter and hold pages.
struct MatterRow: Sendable {
    var id: Int64
    var path: String
    var name: String
    var status: String
    var activeHolds: Int
    var createdBy: String
    var createdAt: String
}

struct MatterListView: Sendable {
    var chrome: Chrome
    var rows: [MatterRow]
    var name: String
    var description: String
    var action: String
}

struct MemberRow: Sendable { var username: String; var addedAt: String }

struct HoldRow: Sendable {
    var id: Int64
    var path: String
    var status: String
    var scope: String
    var covered: Int
    var placedBy: String
    var placedAt: String

    init(_ h: HoldService.HoldSummary) {
        id = h.record.id
        path = Paths.with(Paths.hold, id: h.record.id)
        status = h.record.active ? "active" : "released"
        scope = h.scope.joined(separator: "; ")
        covered = h.covered
        placedBy = h.record.placedBy
        placedAt = TimeFormat.utc(h.record.placedAt)
    }
}

struct MatterView: Sendable {
    var chrome: Chrome
    var id: Int64
    var name: String
    var description: String
    var status: String
    var open: Bool
    var createdBy: String
    var createdAt: String
    var updatedAt: String
    var members: [MemberRow]
    var holds: [HoldRow]
    var activeHolds: Int
    var isMember: Bool
    var newHoldPath: String
    var editAction: String
    var membersAction: String
    var searchPath: String
    var codingLayoutPath: String
    var codingCSVPath: String
    var privilegeLogPath: String
    var notesPath: String
    var statuses: [OptionRow]
}

struct HoldNewView: Sendable {
    var chrome: Chrome
    var matterID: Int64
    var matterName: String
    var matterPath: String
    var open: Bool
    var isMember: Bool
    var participant: String
    var domain: String
    var conversation: String
    var platform: String
    var after: String
    var before: String
    var previewed: Bool
    var covered: Int
    var previewAction: String
    var placeAction: String
    var searchPath: String?
}

struct NoticeRow: Sendable {
    var id: Int64
    var person: String
    var notifiedAt: String
    var notifiedBy: String
    var acknowledgedAt: String?
    var canAcknowledge: Bool
}

struct HoldView: Sendable {
    var chrome: Chrome
    var id: Int64
    var matterName: String
    var matterPath: String
    var active: Bool
    var status: String
    var scope: [String]
    var covered: Int
    var placedBy: String
    var placedAt: String
    var releasedBy: String?
    var releasedAt: String?
    var releaseReason: String?
    var isMember: Bool
    var canRelease: Bool
    var reason: String
    var releaseAction: String
    var searchPath: String
    var notices: [NoticeRow]
    var pendingNotices: Int
    var noticeAction: String
    var acknowledgeAction: String
}
