import CustosCrypto
import HTTPTypes

/// Header names Custos sets or reads that HTTPTypes does not predefine.
extension HTTPField.Name {
    public static let referrerPolicy = Self("Referrer-Policy")!
    public static let xFrameOptions = Self("X-Frame-Options")!
    public static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    public static let permissionsPolicy = Self("Permissions-Policy")!
    public static let xForwardedFor = Self("X-Forwarded-For")!
    public static let secFetchSite = Self("Sec-Fetch-Site")!
    public static let custosDevice = Self(DeviceRequestSignature.deviceHeader)!
    public static let custosTime = Self(DeviceRequestSignature.timeHeader)!
    public static let custosNonce = Self(DeviceRequestSignature.nonceHeader)!
    public static let custosSignature = Self(DeviceRequestSignature.signatureHeader)!
}
