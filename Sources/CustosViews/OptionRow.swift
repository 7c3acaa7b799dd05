/// One option of a `<select>`.
public struct OptionRow: Sendable {
    public var value: String
    public var label: String
    public var selected: Bool

    public init(value: String, label: String, selected: Bool) {
        self.value = value
        self.label = label
        self.selected = selected
    }
}

extension OptionRow: TemplateParent {
    public func child(named name: String) -> TemplateValue? {
        switch name {
        case "value": .text(value)
        case "label": .text(label)
        case "selected": .flag(selected)
        default: nil
        }
    }
}
