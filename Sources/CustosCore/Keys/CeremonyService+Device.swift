import CustosCrypto
import Foundation

/// What a custodian's device is told about a ceremony.
extension CeremonyService {
    /// The open ceremony, or else the newest one this person took part in (so a device can learn how it
    /// ended), as `user`'s device needs it; nil when there is none.
    public func deviceState(user: User) throws -> CeremonyStateWire? {
        try archive.read { uow in
            var chosen = try uow.ceremonies.open()
            if chosen == nil {
                for c in try uow.ceremonies.recent(limit: 10) {
                    let s = try CeremonySnapshot.load(c, uow: uow, registry: registry)
                    if s.member(user.id) != nil || s.predecessor(user.id) != nil { chosen = c; break }
                }
            }
            guard let c = chosen else { return nil }
            let s = try CeremonySnapshot.load(c, uow: uow, registry: registry)
            let b64 = { (bytes: [UInt8]) in Data(bytes).base64EncodedString() }
            let dealings = s.phase == .receive || s.phase == .sign ? s.steps(.dealing).compactMap(\.body).map(b64) : []
            var transcript: String?
            var trustRoot: String?
            if s.phase == .sign { transcript = b64(try s.transcript().serialized) }
            if c.status == .active, let epoch = try registry.chain(uow).first(where: { $0.epoch == c.epoch }) {
                transcript = b64(epoch.transcript.serialized)
                if epoch.record.previousEpoch == nil { trustRoot = Hex.encode(epoch.transcript.hash) }
            }
            return CeremonyStateWire(
                id: c.id, kind: c.kind.name, epoch: c.epoch, status: c.status.rawValue, phase: s.phase.rawValue, outcome: c.outcome,
                setup: b64(c.setup), previousEpoch: c.previousEpoch, previousTranscript: s.previous.map { b64($0.transcript.serialized) },
                members: s.members.map { CeremonyPersonWire(index: $0.participant, username: $0.username, fingerprint: $0.identity.fingerprint) },
                predecessors: s.predecessors.map { CeremonyPersonWire(index: $0.index, username: $0.username, fingerprint: $0.identity.fingerprint) },
                you: CeremonyRoleWire(participant: s.member(user.id)?.participant, dealer: s.dealerIndex(user.id),
                                      predecessor: s.predecessor(user.id) != nil, committed: s.has(user.id, .commit),
                                      revealed: s.has(user.id, .dealing), receipted: s.has(user.id, .receipt), signed: s.has(user.id, .signature)),
                dealings: dealings, transcript: transcript, waitingFor: s.waitingFor, trustRoot: trustRoot)
        }
    }
}
