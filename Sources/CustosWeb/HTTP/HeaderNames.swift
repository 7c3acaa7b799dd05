import HTTPTypes

/// Header names Custos sets or reads that HTTPTypes does not predefine.
extension HTTPField.Name {
    public static let referrerPolicy = Self("Referrer-Policy")!
    public static let xFrameOptions = Self("X-Frame-Options")!
    public static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    public static let permissionsPolicy = Self("Permissions-Policy")!
    public static let xForwardedFor = Self("X-Forwarded-For")!
    public static let secFetchSite = Self("Sec-Fetch-Site")!
}
