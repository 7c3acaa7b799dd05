import CustosCore
import CustosCrypto
import Foundation

/// A custodian's approval computed on its own device: for every message of the request, D_i = s_i·R with a
/// DLEQ proof, under this device's share of the epoch that holds the message's key.
public enum CustodianApprover {
    /// The partials for `task`, ready to upload; refuses commitments the device's share does not match.
    public static func partials(for task: ApprovalTaskWire, device: CustodianDevice) throws -> ApprovalWire {
        var byEpoch: [Int: [ApprovalTaskWire.Item]] = [:]
        for item in task.items { byEpoch[item.epoch, default: []].append(item) }
        var out: [ApprovalWire.Partial] = []
        out.reserveCapacity(task.items.count)
        for (epoch, items) in byEpoch.sorted(by: { $0.key < $1.key }) {
            guard let text = task.commitments[String(epoch)], let data = Data(base64Encoded: text) else {
                throw CustodianClientError.ceremony("the request names epoch \(epoch) but the server sent no commitments for it")
            }
            let commitments = try FeldmanCommitments(serialized: [UInt8](data))
            guard commitments.epoch == epoch else { throw CustodianClientError.ceremony("the commitments sent for epoch \(epoch) are another epoch's") }
            let points = try items.map { item -> Ristretto255.Point in
                guard let r = Data(base64Encoded: item.ephemeral) else { throw CustodianClientError.ceremony("message \(item.messageID) has no readable R") }
                return try Ristretto255.Point(bytes: [UInt8](r))
            }
            let partials = try device.partialDecryptions(commitments: commitments, ephemeralKeys: points)
            for (item, partial) in zip(items, partials) {
                out.append(ApprovalWire.Partial(messageID: item.messageID, partial: Data(partial.serialized).base64EncodedString()))
            }
        }
        return ApprovalWire(partials: out)
    }
}
