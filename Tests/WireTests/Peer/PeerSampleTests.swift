import Bytes
import Foundation
import Testing
import Wire
import TestSupport

@testable import SampleKit

/// The generated direct-connection sample (samples/peer-file-transfer.pcapng) decodes fully with
/// the peer decoder: the generator's obfuscation is the inverse of the decoder's decryption, the
/// texts read as sent, and the file-transfer sub-connection carries the whole file.
struct PeerSampleTests {
    let scratch = PeerScratch()

    func hex(_ s: String) -> [UInt8] { s.split(separator: " ").map { UInt8($0, radix: 16)! } }

    /// The generator's encryption reproduces the reference's TCP-1 vector (M1 0x14, X2 0x33).
    @Test func encryptionMatchesTheReferenceVector() {
        let plain = hex("00 00 00 00 EE 07 0E 00 FE FF 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 01 00 06 00 48 65 6C 6C 6F 00 00 00 00 00 FF FF FF 00")
        let wire = hex("96 DD F1 FA 39 80 6F C0 1B 78 61 C0 00 00 00 00 00 00 00 00 00 00 01 00 00 00 01 00 06 00 48 65 6C 6C 6F 00 00 00 00 00 FF FF FF 00")
        #expect(PeerBytes.encrypt(plain, m1: 0x14, x2: 0x33) == wire)
        #expect(PeerBytes.table.count == 256)
    }

    func streams() throws -> CaptureStreams {
        let path = TestPaths.root.appendingPathComponent("samples/peer-file-transfer.pcapng").path
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == PeerSample.pcapng())
        return try CaptureStreams.load(path)
    }

    @Test func messageConnectionDecodesFully() throws {
        let c = try #require(try streams().conversation(initiatorPort: 1034, responderPort: 3457))
        let run = PeerRun(c, scratch: scratch)
        #expect(run.problems.isEmpty)
        #expect(run.connection.version == 8)
        #expect(run.connection.kind == .messages)
        #expect(run.inits.count == 2)
        let caller = run.inits[0].fields
        #expect(caller.value("icq.peer.uin") == "1001")
        #expect(caller.value("icq.peer.init.dst_uin") == "1002")
        #expect(caller.value("icq.peer.init.port") == "3456")
        #expect(caller.value("icq.peer.init.cookie") == String(PeerSample.cookie))
        let callee = run.inits[1].fields
        #expect(callee.value("icq.peer.uin") == "1002")
        #expect(callee.value("icq.peer.init.port") == "3457")
        #expect(run.records.filter { $0.pdu.content == .initAck }.count == 2)
        #expect(run.records.filter { if case .init2 = $0.pdu.content { true } else { false } }.count == 2)
        let m = run.messages
        #expect(m.count == 6)
        #expect(m.allSatisfy { $0.fields.value("icq.peer.checkcode_valid") == "true" })
        #expect(m.map { $0.fields.value("icq.peer.command_name")! } == ["message", "ack", "message", "ack", "message", "ack"])
        #expect(m[0].fields.value("icq.peer.text") == PeerSample.textOut)
        #expect(m[0].fromInitiator)
        #expect(m[2].fields.value("icq.peer.text") == PeerSample.textIn)
        #expect(!m[2].fromInitiator)
        for i in stride(from: 0, to: 6, by: 2) {
            #expect(m[i].fields.value("icq.peer.seq") == m[i + 1].fields.value("icq.peer.seq"))
            #expect(m[i + 1].fields.value("icq.peer.status") == "0")
        }
        #expect(m[4].fields.value("icq.peer.file.name") == PeerSample.fileName)
        #expect(m[4].fields.value("icq.peer.file.size") == String(PeerSample.fileSize))
        #expect(m[5].fields.value("icq.peer.port") == String(PeerSample.fileTransferPort))
    }

    @Test func fileTransferCarriesTheFile() throws {
        let c = try #require(try streams().conversation(initiatorPort: 1035, responderPort: PeerSample.fileTransferPort))
        let run = PeerRun(c, scratch: scratch)
        #expect(run.problems.isEmpty)
        #expect(run.connection.kind == .fileTransfer)
        #expect(run.connection.fileBytesCarried == UInt64(PeerSample.fileSize))
        let files = run.records.compactMap { r -> (PeerFilePacket, CollectingVisitor)? in
            if case .file(let f) = r.pdu.content { (f, r.fields) } else { nil }
        }
        #expect(files.map(\.0.opcode) == [.initialize, .initializeAck, .fileInfo, .start, .data, .data])
        #expect(files.map(\.0.dataLength).suffix(2) == [2048, 952])
        #expect(files[0].1.value("icq.peer.file.total") == String(PeerSample.fileSize))
        #expect(files[0].1.value("icq.peer.file.nick") == "Tom")
        #expect(files[1].1.value("icq.peer.file.nick") == "Anna")
        #expect(files[2].1.value("icq.peer.file.name") == PeerSample.fileName)
        #expect(files[2].1.value("icq.peer.file.size") == String(PeerSample.fileSize))
        // The data packets carry the file's bytes: 3 bytes of framing and opcode before each.
        let sent = c.fromInitiator.data
        let dataStart = sent.count - (PeerSample.fileSize + 2 * 3)
        let carried = Array(sent[(dataStart + 3)..<(dataStart + 3 + 2048)]) + Array(sent[(dataStart + 3 + 2048 + 3)...])
        #expect(carried == PeerSample.fileBytes)
    }
}
