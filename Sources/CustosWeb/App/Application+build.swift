import CustosCore
import CustosRuntime
import Hummingbird
import Logging

/// Settings of the web server.
public struct WebConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Served behind TLS (directly or by a proxy): `__Host-` cookies, `Secure`, HSTS.
    public var tls: Bool
    /// Reverse proxies whose X-Forwarded-For names the client (for throttling and audit); from any other
    /// peer the header is ignored.
    public var trustedProxies: [IPNetwork]
    public var logLevel: Logger.Level
    /// Peers that may read `GET /metrics` (the connection's own address); empty: it answers 404 to everyone.
    public var metricsFrom: [IPNetwork] = []

    public init(host: String = "127.0.0.1", port: Int = 8080, tls: Bool = false, trustedProxies: [IPNetwork] = [],
                logLevel: Logger.Level = .info) {
        self.host = host
        self.port = port
        self.tls = tls
        self.trustedProxies = trustedProxies
        self.logLevel = logLevel
    }
}

/// The router with every middleware and controller wired in, and the table of declared routes.
public func buildRouter(system: CustosSystem, configuration: WebConfiguration) async throws -> (Router<AppContext>, [RouteDeclaration]) {
    let renderer = try await Renderer(directory: system.resources.templates.path)
    let cookies = CookieJar(secure: configuration.tls)
    let router = Router(context: AppContext.self)
    let routeTemplates = RouteTemplates()
    // First, so it counts and times every request with the status it finally got.
    router.add(middleware: MetricsMiddleware(routes: routeTemplates))
    router.add(middleware: ClientAddressMiddleware(proxies: TrustedProxies(configuration.trustedProxies)))
    router.add(middleware: ErrorPageMiddleware(renderer: renderer, tls: configuration.tls))
    router.add(middleware: SecurityHeadersMiddleware(tls: configuration.tls))
    router.add(middleware: FileMiddleware(system.resources.publicFiles.path, searchForIndexHtml: false))
    router.add(middleware: SessionMiddleware(signIn: system.signIn, cookies: cookies))
    // Again inside the session, so error pages keep the signed-in header (the outer one catches
    // what happens before a session is known).
    router.add(middleware: ErrorPageMiddleware(renderer: renderer, tls: configuration.tls, passRouteNotFound: true))
    router.add(middleware: CSRFMiddleware())
    router.add(middleware: CaptureTokenMiddleware(tokens: system.captureTokens))
    router.add(middleware: DeviceSignatureMiddleware(devices: system.devices, clock: system.clock))

    let routes = SecureRouter(router: router)
    AuthController(signIn: system.signIn, renderer: renderer, cookies: cookies).addRoutes(to: routes)
    AccountController(accounts: system.accounts, renderer: renderer).addRoutes(to: routes)
    HomeController(renderer: renderer, decryption: system.decryption, holds: system.holds).addRoutes(to: routes)
    AdminController(users: system.users, renderer: renderer).addRoutes(to: routes)
    KeysController(ceremonies: system.ceremonies, users: system.users, devices: system.devices, tokens: system.captureTokens,
                   renderer: renderer).addRoutes(to: routes)
    IngestAPIController(ceremonies: system.ceremonies, ingest: system.ingest).addRoutes(to: routes)
    CustodianAPIController(ceremonies: system.ceremonies, decryption: system.decryption).addRoutes(to: routes)
    CustodianDeviceController(devices: system.devices, renderer: renderer, tls: configuration.tls).addRoutes(to: routes)
    SearchController(search: system.search, decryption: system.decryption, holds: system.holds, renderer: renderer).addRoutes(to: routes)
    RequestsController(decryption: system.decryption, search: system.search, review: system.review, renderer: renderer,
                       tls: configuration.tls).addRoutes(to: routes)
    ContentController(decryption: system.decryption, review: system.review, renderer: renderer).addRoutes(to: routes)
    ReviewController(review: system.review, holds: system.holds, renderer: renderer).addRoutes(to: routes)
    ContentSearchController(search: system.contentSearch, renderer: renderer).addRoutes(to: routes)
    MattersController(holds: system.holds, renderer: renderer).addRoutes(to: routes)
    RetentionController(retention: system.retention, disposition: system.disposition, renderer: renderer).addRoutes(to: routes)
    AuditController(explorer: system.auditExplorer, verify: {
        // The archive is checked only against an intact chain: its ingest records live there.
        let audit = try system.verifyAudit()
        return (audit, audit.ok ? try system.verifyArchive() : nil)
    }, renderer: renderer).addRoutes(to: routes)
    ReportsController(reports: system.accessReports, clock: system.clock, renderer: renderer).addRoutes(to: routes)
    MetricsController(allowed: configuration.metricsFrom, decryption: system.decryption, registry: MetricsBackend.registry)
        .addRoutes(to: routes)
    routeTemplates.register(routes.table)
    // Last, so it wraps only the router's "no such route" answer.
    router.add(middleware: MethodNotAllowedMiddleware(table: routes.table))
    return (router, routes.table)
}

/// The web application: a Hummingbird application serving Custos from `system` (a service to run in its group).
public func buildApplication(system: CustosSystem, configuration: WebConfiguration) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "custos")
    logger.logLevel = configuration.logLevel
    let (router, _) = try await buildRouter(system: system, configuration: configuration)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        logger: logger
    )
}
