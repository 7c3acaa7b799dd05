@testable import CustosCrypto

/// Runs ceremonies among in-memory custodian devices, as their CLIs do over the server.
enum CeremonyHarness {
    /// A fresh device (no key file: Argon2id is tested on its own).
    static func device() throws -> CustodianDevice {
        try CustodianDevice.generate()
    }

    /// A signed new-key epoch among `devices` with threshold k, after `previous` (whose `endorsers` sign too).
    static func newKey(_ devices: [CustodianDevice], k: Int, epoch: Int = 1, previous: SignedEpoch? = nil,
                       endorsers: [CustodianDevice] = []) throws -> SignedEpoch {
        let setup = try CeremonySetup(kind: .newKey, epoch: epoch, threshold: k, participants: devices.map(\.identity),
                                      previousHash: previous?.transcript.hash ?? CeremonySetup.noPrevious)
        let dealings = try devices.map { try $0.dealer(for: setup, previousEpoch: nil).dealing() }
        return try finish(setup: setup, dealings: dealings, holders: devices, previous: previous, endorsers: endorsers)
    }

    /// A redistribution of `previous` by `dealers` (holders of its shares) to `devices` with threshold k.
    static func redistribute(from previous: SignedEpoch, dealers: [CustodianDevice], to devices: [CustodianDevice], k: Int) throws -> SignedEpoch {
        let setup = try CeremonySetup(kind: .redistribution, epoch: previous.transcript.setup.epoch + 1, threshold: k,
                                      participants: devices.map(\.identity), previousHash: previous.transcript.hash)
        let dealings = try dealers.map { try $0.dealer(for: setup, previousEpoch: previous.transcript.setup.epoch).dealing() }
        return try finish(setup: setup, dealings: dealings, holders: devices, previous: previous, endorsers: dealers)
    }

    static func finish(setup: CeremonySetup, dealings: [Dealing], holders: [CustodianDevice], previous: SignedEpoch?,
                       endorsers: [CustodianDevice]) throws -> SignedEpoch {
        let transcript = try EpochTranscript(setup: setup, dealings: dealings, previous: previous?.transcript.feldman)
        for device in holders {
            let complaints = try device.receive(dealings, setup: setup)
            guard complaints.isEmpty else { throw CryptoError.invalidInput("complaints: \(complaints.map(\.dealer))") }
            guard device.shareMatches(epoch: setup.epoch, commitments: transcript.feldman) else {
                throw CryptoError.invalidInput("a share does not match the group commitments")
            }
        }
        let signers = holders + endorsers.filter { e in !holders.contains { $0 === e } }
        return SignedEpoch(transcript: transcript, signatures: try signers.map { try $0.endorse(transcript) })
    }
}
