/// Parses email dates: RFC 5322 `date-time` with its obsolete forms (two- and three-digit years,
/// named zones, military zones, comments anywhere, missing seconds) and the asctime form that
/// mbox `From ` lines use (`Mon Jun  3 12:50:27 1996`).
enum MailDate {
    /// Unix seconds, or nil when the text is not a date this parser can trust.
    static func parse(_ text: String) -> Int64? {
        let tokens = tokenize(withoutComments(text))
        var day: Int?, month: Int?, year: Int?, time: (Int, Int, Int)?, offset: Int?
        for token in tokens {
            if token.contains(":") && time == nil && !token.hasPrefix("+") && !token.hasPrefix("-") {
                guard let parsed = parseTime(token) else { return nil }
                time = parsed
            } else if let first = token.unicodeScalars.first, first == "+" || first == "-" {
                guard offset == nil else { continue }
                guard let parsed = numericZone(token) else { return nil }
                offset = parsed
            } else if token.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic && $0.isASCII }) {
                let lower = token.lowercased()
                if month == nil, lower.count >= 3, let index = months.firstIndex(of: String(lower.prefix(3))),
                   lower.count == 3 || fullMonths[index].hasPrefix(lower) {
                    month = index + 1
                } else if weekdays.contains(String(lower.prefix(3))) && time == nil {
                    continue
                } else if time != nil, offset == nil {
                    guard let zone = namedZone(lower) else { return nil }
                    offset = zone
                } else if time != nil {
                    continue  // a second zone name after a numeric zone, e.g. "-0700 PDT"
                } else {
                    return nil
                }
            } else if let (zone, hasZone) = prefixedZone(token), time != nil, offset == nil {
                guard hasZone else { return nil }
                offset = zone
            } else if token.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !token.isEmpty, token.utf8.count <= 4 {
                guard let value = Int(token) else { return nil }
                if token.utf8.count <= 2 && day == nil {
                    day = value
                } else if year == nil {
                    year = expandYear(value, digits: token.utf8.count)
                } else {
                    return nil
                }
            } else {
                return nil
            }
        }
        guard let day, let month, let year, let (hour, minute, second) = time,
              let local = CivilTime.unixSeconds(year: year, month: month, day: day, hour: hour, minute: minute,
                                                second: second) else { return nil }
        // A missing zone is read as UTC (RFC 5322's "-0000": no information about the local zone).
        return local - Int64(offset ?? 0)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let fullMonths = ["january", "february", "march", "april", "may", "june", "july", "august",
                                     "september", "october", "november", "december"]
    private static let weekdays: Set<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// RFC 5322 §4.3 zones, plus a few unambiguous abbreviations common in old mail. Military
    /// letters other than Z count as "-0000": RFC 822 defined their signs backwards.
    private static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0,
        "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
        "akst": -9, "akdt": -8, "hst": -10, "ast": -4, "adt": -3, "nst": -3, "bst": 1, "west": 1,
        "cet": 1, "cest": 2, "met": 1, "mest": 2, "eet": 2, "eest": 3, "msk": 3, "jst": 9, "kst": 9,
        "hkt": 8, "sgt": 8, "aest": 10, "aedt": 11, "acst": 9, "nzst": 12, "nzdt": 13,
    ]

    private static func namedZone(_ lower: String) -> Int? {
        if let hours = zones[lower] { return hours * 3600 }
        if lower.count == 1, lower != "j" { return 0 }
        return nil
    }

    /// `GMT+0100`, `UTC-5`: a named zone followed by an offset.
    private static func prefixedZone(_ token: String) -> (Int, Bool)? {
        let lower = token.lowercased()
        for name in ["gmt", "utc", "ut"] where lower.hasPrefix(name) {
            let rest = String(lower.dropFirst(name.count))
            guard let sign = rest.first, sign == "+" || sign == "-" else { return nil }
            let digits = rest.dropFirst()
            if digits.count <= 2, let hours = Int(digits), hours < 24 {
                return ((sign == "+" ? 1 : -1) * hours * 3600, true)
            }
            return numericZone(rest).map { ($0, true) } ?? (0, false)
        }
        return nil
    }

    /// `+hhmm`, `-hhmm` (also `+hh:mm`), in seconds east of UTC.
    private static func numericZone(_ token: String) -> Int? {
        let sign = token.hasPrefix("-") ? -1 : 1
        let digits = token.dropFirst().filter { $0 != ":" }
        guard digits.count == 4, digits.allSatisfy(\.isASCII), let value = Int(digits) else { return nil }
        let hours = value / 100, minutes = value % 100
        guard hours <= 23, minutes <= 59 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    private static func parseTime(_ token: String) -> (Int, Int, Int)? {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
              parts.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let hour = Int(parts[0]), let minute = Int(parts[1]) else { return nil }
        let second = parts.count == 3 ? Int(parts[2]) : 0
        guard let second else { return nil }
        return (hour, minute, second)
    }

    /// RFC 5322 §4.3: two-digit years below 50 are 20xx, others 19xx; three-digit years add 1900.
    /// A year below 100 written with four digits ("0001", seen in the Enron corpus from a
    /// Y2K-broken client) is read the same way, as Python's email.utils does: no mail is from AD 1.
    private static func expandYear(_ value: Int, digits: Int) -> Int {
        if value < 100 { return value < 50 ? 2000 + value : 1900 + value }
        return digits == 3 ? 1900 + value : value
    }

    /// The text with (nested, escaped) comments replaced by a space.
    private static func withoutComments(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var depth = 0
        var escaped = false
        for scalar in text.unicodeScalars {
            if escaped { escaped = false; continue }
            if depth > 0 {
                if scalar == "\\" { escaped = true } else if scalar == "(" { depth += 1 } else if scalar == ")" {
                    depth -= 1
                    if depth == 0 { out.append(" ") }
                }
                continue
            }
            if scalar == "(" { depth = 1 } else { out.append(scalar) }
        }
        return String(out)
    }

    /// Words split on whitespace and commas; a dot-free `14-May-2001` style is not supported.
    private static func tokenize(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" || $0 == "\n" })
            .map(String.init)
    }
}
