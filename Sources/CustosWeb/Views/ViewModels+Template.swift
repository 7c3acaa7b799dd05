import CustosViews

// Children by name for the views of the search pages (the layout's are in CustosViews), so the renderer looks values up with a
// switch instead of `Mirror` reflection, and gets them typed (no dynamic cast per value). A results page
// resolves thousands of names (11 per row, and names such as `chrome.csrf` searched outward through every
// enclosing view); by reflection that was half the CPU of serving it, and casting each `Any` answer back to
// a string, number or list was a tenth of it. Each switch names every stored property with the kind of value
// reflection would find: a test checks them against `Mirror`.

extension HitRow: TemplateParent {
    func child(named name: String) -> TemplateValue? {
        switch name {
        case "id": .integer(Int(id))
        case "path": .text(path)
        case "sentAt": .text(sentAt)
        case "platform": .text(platform)
        case "conversation": .text(conversation)
        case "senders": .text(senders)
        case "recipients": .text(recipients)
        case "size": .text(size)
        case "attachments": .integer(attachments)
        case "mediaTypes": .text(mediaTypes)
        case "current": .flag(current)
        case "disposed": .text(disposed)
        default: nil
        }
    }
}

extension FacetRow: TemplateParent {
    func child(named name: String) -> TemplateValue? {
        switch name {
        case "label": .text(label)
        case "count": .integer(count)
        default: nil
        }
    }
}

extension HiddenField: TemplateParent {
    func child(named name: String) -> TemplateValue? {
        switch name {
        case "name": .text(self.name)
        case "value": .text(value)
        default: nil
        }
    }
}

extension SavedRow: TemplateParent {
    func child(named name: String) -> TemplateValue? {
        switch name {
        case "name": .text(self.name)
        case "filters": .text(filters)
        case "path": .text(path)
        case "deleteAction": .text(deleteAction)
        default: nil
        }
    }
}

extension PartRow: TemplateParent {
    func child(named name: String) -> TemplateValue? {
        switch name {
        case "part": .text(part)
        case "display": .text(display)
        default: nil
        }
    }
}

extension SearchFormView: TemplateParent {
    func child(named name: String) -> TemplateValue? {
        switch name {
        case "participant": .text(participant)
        case "parts": .list(parts)
        case "domain": .text(domain)
        case "after": .text(after)
        case "before": .text(before)
        case "platforms": .list(platforms)
        case "conversation": .text(conversation)
        case "attachments": .list(attachments)
        case "hold": .text(hold)
        case "matter": .text(matter)
        default: nil
        }
    }
}

extension SearchView: TemplateParent {
    func child(named name: String) -> TemplateValue? {
        switch name {
        case "chrome": .node(chrome)
        case "form": .node(form)
        case "ran": .flag(ran)
        case "total": .integer(total)
        case "hits": .list(hits)
        case "nextPath": .text(nextPath)
        case "firstPagePath": .text(firstPagePath)
        case "platformFacets": .list(platformFacets)
        case "monthFacets": .list(monthFacets)
        case "hidden": .list(hidden)
        case "canSave": .flag(canSave)
        case "hasHits": .flag(hasHits)
        case "archiveTotal": .integer(archiveTotal)
        case "saved": .list(saved)
        case "exportLimit": .text(exportLimit)
        case "canRequest": .flag(canRequest)
        case "requestAllPath": .text(requestAllPath)
        case "requestLimit": .integer(requestLimit)
        default: nil
        }
    }
}

extension MessageView: TemplateParent {
    func child(named name: String) -> TemplateValue? {
        switch name {
        case "chrome": .node(chrome)
        case "message": .node(message)
        case "direction": .text(direction)
        case "capturedAt": .text(capturedAt)
        case "retentionClass": .text(retentionClass)
        case "retentionEnds": .text(retentionEnds)
        case "holds": .other(holds)
        case "heldNow": .flag(heldNow)
        case "epoch": .integer(epoch)
        case "ciphertextHash": .text(ciphertextHash)
        case "participants": .list(participants)
        case "neighbours": .list(neighbours)
        case "conversationPath": .text(conversationPath)
        case "canRequest": .flag(canRequest)
        case "requestPath": .text(requestPath)
        case "requestConversationPath": .text(requestConversationPath)
        case "contentPath": .text(contentPath)
        default: nil
        }
    }
}

extension ConversationView: TemplateParent {
    func child(named name: String) -> TemplateValue? {
        switch name {
        case "chrome": .node(chrome)
        case "title": .text(title)
        case "total": .integer(total)
        case "hits": .list(hits)
        case "olderPath": .text(olderPath)
        case "canRequest": .flag(canRequest)
        case "requestPath": .text(requestPath)
        default: nil
        }
    }
}
