import ArgumentParser

/// The `custos` command line: one executable for set-up, serving, verification and the demo.
@main
struct Custos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custos",
        abstract: "Custos: a compliance archive whose server never sees message content.",
        subcommands: [Init.self, Migrate.self, MigrateStore.self, Serve.self, OneTimePassword.self, Demo.self, Verify.self, Capture.self, Token.self, Keys.self, Custodian.self, Retention.self, Report.self]
    )
}
