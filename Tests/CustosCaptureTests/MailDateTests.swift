@testable import CustosCapture
import Testing

/// Email dates: RFC 5322 and its obsolete forms; expected values computed with Python's
/// email.utils.parsedate_tz / mktime_tz, except the zone after a comment, which Python drops
/// (it reads that date as UTC); that one is calendar.timegm of 04:19 UTC.
struct MailDateTests {
    @Test(arguments: [
        ("Mon, 14 May 2001 16:39:00 -0700 (PDT)", Int64(989_883_540)),
        ("14 May 01 16:39 PDT", 989_883_540),
        ("Sun, 7 May 95 16:21:03 GMT", 799_863_663),
        ("Wed, 20 Sep 1995 00:19:00 (EDT) -0400", 811_570_740),
        ("Thu, 8 Mar 2005 17:40:36 EDT", 1_110_318_036),
        ("Fri, 23 Aug 2002 2:32:53 -0400", 1_030_084_373),
        ("Fri, 4 May 2001 14:05:44 Z", 988_985_144),
        ("Fri, 4 May 2001 14:05:44 UT", 988_985_144),
        ("Fri, 4 May 2001 14:05:44 A", 988_985_144),
        ("Tue, 1 Jul 2003 10:52:37 +0200", 1_057_049_557),
        ("Thu, 31 Dec 1998 23:59:60 +0000", 915_148_799),
        ("Sat, 19 Nov 0001 07:46:12 -0800 (PST)", 1_006_184_772),
        ("Mon Jun  3 12:50:27 1996", 833_806_227),
        ("Fri, 6 Apr 2001 09:23:06 -0800 (GMT-0800)", 986_577_786),
        ("  Tue,\t1 Jul 2003 10:52:37 +0200  ", 1_057_049_557),
    ])
    func parsesValidDates(text: String, expected: Int64) {
        #expect(MailDate.parse(text) == expected)
    }

    @Test(arguments: [
        "yesterday", "", "32 Jan 2001 10:00:00 +0000", "1 Foo 2001 10:00:00 +0000", "Mon, 14 May 2001 25:00:00 +0000",
        "Mon, 14 May 2001 10:61:00 +0000", "29 Feb 2001 10:00:00 +0000", "14 May 2001 10:00:00 +9999",
        "14 May 2001 10:00:00 XYZ", "14 May 2001", "10:00:00 +0000", "14 May 123456 10:00:00 +0000",
        "2001-05-14T10:00:00Z",
    ])
    func rejectsInvalidDates(text: String) {
        #expect(MailDate.parse(text) == nil)
    }

    @Test func rfc3339RoundTrips() {
        #expect(CivilTime.parseRFC3339("2016-01-15T06:35:18Z") == 1_452_839_718)
        #expect(CivilTime.parseRFC3339("2016-01-15T08:35:18.123+02:00") == 1_452_839_718)
        #expect(CivilTime.parseRFC3339("2016-01-15 06:35:18z") == 1_452_839_718)
        #expect(CivilTime.parseRFC3339("2016-01-15T06:35:18") == nil)
        #expect(CivilTime.parseRFC3339("2016-01-15T06:35:18", assumeUTC: true) == 1_452_839_718)
        #expect(CivilTime.parseRFC3339("2016-13-15T06:35:18Z") == nil)
        #expect(CivilTime.rfc3339(1_452_839_718) == "2016-01-15T06:35:18Z")
        #expect(CivilTime.rfc3339(-1) == "1969-12-31T23:59:59Z")
        #expect(CivilTime.rfc3339(0) == "1970-01-01T00:00:00Z")
    }
}
