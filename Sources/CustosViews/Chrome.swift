/// What the shared layout shows on every page.
public struct Chrome: Sendable {
    public var title: String
    public var csrf: String
    public var signedIn: Bool
    public var username: String
    public var displayName: String
    public var activeRole: String
    /// Other roles this person may switch to.
    public var otherRoles: [RoleOption]
    /// Stored, not computed: templates see stored properties only.
    public var canSwitchRole: Bool
    public var nav: [NavItem]
    public var notice: String?
    public var error: String?

    public init(title: String, csrf: String, signedIn: Bool, username: String, displayName: String, activeRole: String,
                otherRoles: [RoleOption], canSwitchRole: Bool, nav: [NavItem], notice: String?, error: String?) {
        self.title = title
        self.csrf = csrf
        self.signedIn = signedIn
        self.username = username
        self.displayName = displayName
        self.activeRole = activeRole
        self.otherRoles = otherRoles
        self.canSwitchRole = canSwitchRole
        self.nav = nav
        self.notice = notice
        self.error = error
    }

    /// A role option in the switcher.
    public struct RoleOption: Sendable {
        public var value: String
        public var title: String

        public init(value: String, title: String) {
            self.value = value
            self.title = title
        }
    }

    /// A link in the navigation bar.
    public struct NavItem: Sendable {
        public var href: String
        public var label: String
        public var current: Bool

        public init(href: String, label: String, current: Bool) {
            self.href = href
            self.label = label
            self.current = current
        }
    }
}

// Children by name, so the renderer looks them up with a switch rather than by reflection (see the views of the
// search pages in CustosWeb, and ViewModelTests, which holds each switch to `Mirror`).

extension Chrome: TemplateParent {
    public func child(named name: String) -> TemplateValue? {
        switch name {
        case "title": .text(title)
        case "csrf": .text(csrf)
        case "signedIn": .flag(signedIn)
        case "username": .text(username)
        case "displayName": .text(displayName)
        case "activeRole": .text(activeRole)
        case "otherRoles": .list(otherRoles)
        case "canSwitchRole": .flag(canSwitchRole)
        case "nav": .list(nav)
        case "notice": .text(notice)
        case "error": .text(error)
        default: nil
        }
    }
}

extension Chrome.RoleOption: TemplateParent {
    public func child(named name: String) -> TemplateValue? {
        switch name {
        case "value": .text(value)
        case "title": .text(title)
        default: nil
        }
    }
}

extension Chrome.NavItem: TemplateParent {
    public func child(named name: String) -> TemplateValue? {
        switch name {
        case "href": .text(href)
        case "label": .text(label)
        case "current": .flag(current)
        default: nil
        }
    }
}
