// Children by name for the views of the search pages and the layout, so the renderer looks values up with a
// switch instead of `Mirror` reflection. A results page resolves thousands of names (11 per row, and names
// such as `chrome.csrf` searched outward through every enclosing view); by reflection that was half the CPU
// of serving it. Each switch names every stored property: a test checks them against `Mirror`.

extension Chrome: TemplateParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "csrf": csrf
        case "signedIn": signedIn
        case "username": username
        case "displayName": displayName
        case "activeRole": activeRole
        case "otherRoles": otherRoles
        case "canSwitchRole": canSwitchRole
        case "nav": nav
        case "notice": notice
        case "error": error
        default: nil
        }
    }
}

extension Chrome.RoleOption: TemplateParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "value": value
        case "title": title
        default: nil
        }
    }
}

extension Chrome.NavItem: TemplateParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "href": href
        case "label": label
        case "current": current
        default: nil
        }
    }
}

extension HitRow: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "path": path
        case "sentAt": sentAt
        case "platform": platform
        case "conversation": conversation
        case "senders": senders
        case "recipients": recipients
        case "size": size
        case "attachments": attachments
        case "mediaTypes": mediaTypes
        case "current": current
        case "disposed": disposed
        default: nil
        }
    }
}

extension FacetRow: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "count": count
        default: nil
        }
    }
}

extension HiddenField: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "value": value
        default: nil
        }
    }
}

extension SavedRow: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "filters": filters
        case "path": path
        case "deleteAction": deleteAction
        default: nil
        }
    }
}

extension PartRow: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "part": part
        case "display": display
        default: nil
        }
    }
}

extension OptionRow: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "value": value
        case "label": label
        case "selected": selected
        default: nil
        }
    }
}

extension SearchFormView: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "participant": participant
        case "parts": parts
        case "domain": domain
        case "after": after
        case "before": before
        case "platforms": platforms
        case "conversation": conversation
        case "attachments": attachments
        case "hold": hold
        case "matter": matter
        default: nil
        }
    }
}

extension SearchView: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "form": form
        case "ran": ran
        case "total": total
        case "hits": hits
        case "nextPath": nextPath
        case "firstPagePath": firstPagePath
        case "platformFacets": platformFacets
        case "monthFacets": monthFacets
        case "hidden": hidden
        case "canSave": canSave
        case "hasHits": hasHits
        case "archiveTotal": archiveTotal
        case "saved": saved
        case "exportLimit": exportLimit
        case "canRequest": canRequest
        case "requestAllPath": requestAllPath
        case "requestLimit": requestLimit
        default: nil
        }
    }
}

extension MessageView: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "message": message
        case "direction": direction
        case "capturedAt": capturedAt
        case "retentionClass": retentionClass
        case "retentionEnds": retentionEnds
        case "holds": holds
        case "heldNow": heldNow
        case "epoch": epoch
        case "ciphertextHash": ciphertextHash
        case "participants": participants
        case "neighbours": neighbours
        case "conversationPath": conversationPath
        case "canRequest": canRequest
        case "requestPath": requestPath
        case "requestConversationPath": requestConversationPath
        case "contentPath": contentPath
        default: nil
        }
    }
}

extension ConversationView: TemplateParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "title": title
        case "total": total
        case "hits": hits
        case "olderPath": olderPath
        case "canRequest": canRequest
        case "requestPath": requestPath
        default: nil
        }
    }
}
