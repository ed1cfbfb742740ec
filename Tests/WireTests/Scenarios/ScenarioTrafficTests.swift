import Bytes
import SampleKit
import Testing

@testable import Wire

/// The generated ICQ traffic is what it claims to be: every datagram decodes with the project's
/// own ICQ decoder (valid checkcodes, the intended commands and sequence numbers), acks pair with
/// their requests, and the timing is what each scenario says.
@Suite struct ScenarioTrafficTests {
    static let scenarioNames = ICQScenarios.all.map(\.name) + ICQSamples.files.map(\.file)

    static func build(_ name: String) -> ScenarioCapture {
        if let s = ICQScenarios.all.first(where: { $0.name == name }) { return s.build() }
        return ICQSamples.files.first { $0.file == name }!.build()
    }

    static let second = ICQSessionScript.second

    @Test(arguments: scenarioNames)
    func everyICQDatagramDecodesWithAValidCheckcode(_ name: String) throws {
        let scenario = Self.build(name)
        let frames = try ScenarioFrames.decode(scenario)
        #expect(frames.count == scenario.frameCount)
        #expect(frames.map(\.time) == scenario.times)
        let icqPorts: Set<UInt16> = [4000, scenario.server.port]
        var icqCount = 0
        for frame in frames where frame.sourcePort.map({ icqPorts.contains($0) }) == true
            || frame.destinationPort.map({ icqPorts.contains($0) }) == true {
            guard frame.tcpFlags == nil else { continue }
            let icq = try #require(frame.icq, "\(name) frame \(frame.number): \(frame.icqMalformed ?? "not ICQ")")
            icqCount += 1
            #expect(icq.checkcodeValid == true, "\(name) frame \(frame.number)")
            #expect(icq.header.version == 5 && icq.header.uin == scenario.uin && icq.header.sessionID == scenario.sessionID)
            #expect(icq.header.commandName != nil)
            if case .undecoded = icq.body { Issue.record("\(name) frame \(frame.number): body not decoded") }
        }
        #expect(icqCount > 0)
        #expect(frames.allSatisfy { $0.icqMalformed == nil })
    }

    /// Every SRV_ACK echoes an earlier client request (session, SEQ1, SEQ2) seen on the same
    /// interface and goes to that request's source; every CMD_ACK echoes an earlier server packet
    /// and comes from the address that packet went to.
    @Test(arguments: scenarioNames)
    func acksPairWithTheirRequests(_ name: String) throws {
        let frames = try ScenarioFrames.decode(Self.build(name))
        for (i, frame) in frames.enumerated() {
            guard let ack = frame.icq, ack.isAck else { continue }
            let request = frames[..<i].last {
                guard let icq = $0.icq, !icq.isAck, $0.interface == frame.interface else { return false }
                return icq.fromClient != ack.fromClient && icq.header.seq1 == ack.header.seq1
                    && icq.header.seq2 == ack.header.seq2
            }
            let paired = try #require(request, "\(name) frame \(frame.number): an ack without its packet")
            #expect(paired.source == frame.destination && paired.sourcePort == frame.destinationPort)
            #expect(frame.time - paired.time < 12 * Self.second)
        }
    }

    /// Client SEQ1 counts every packet but CMD_ACK (retransmissions keep theirs), SEQ2 counts
    /// from 1 at login and is 0 on keep-alives and the text code; the server's SEQ1 counts its
    /// own packets from 0 (the login reply).
    @Test(arguments: scenarioNames)
    func sequenceNumbersFollowTheClientAndTheServer(_ name: String) throws {
        let frames = try ScenarioFrames.decode(Self.build(name))
        let firstInterface = frames.first?.interface ?? 0
        let icq = frames.filter { $0.interface == firstInterface }.compactMap(\.icq)
        var seq1: UInt16? = nil, seq2: UInt16 = 0
        for packet in icq where packet.fromClient && !packet.isAck {
            let h = packet.header
            if h.seq1 == seq1 { continue }  // a retransmission
            if let last = seq1 { #expect(h.seq1 == last &+ 1) } else { #expect(h.seq1 == 0x1A2B) }
            seq1 = h.seq1
            if h.command == 0x042E || h.command == 0x0438 {
                #expect(h.seq2 == 0)
            } else {
                #expect(h.seq2 == seq2 + 1)
                seq2 += 1
            }
        }
        var serverSeq: UInt16? = nil
        for packet in icq where !packet.fromClient && !packet.isAck {
            if packet.header.seq1 == serverSeq { continue }  // a retransmission
            let expected = serverSeq.map { $0 &+ 1 } ?? 0
            // Inside a sequence-gap scenario the server packets that were dropped are missing.
            if name != "firewall_timeout_confirmed_sequence_gap" { #expect(packet.header.seq1 == expected) }
            serverSeq = packet.header.seq1
            if packet.header.command == 0x005A { #expect(packet.header.seq1 == 0 && packet.header.seq2 == 1) }
        }
    }

    @Test(arguments: scenarioNames)
    func expectedFindingsNameRealFrames(_ name: String) {
        let scenario = Self.build(name)
        for finding in scenario.expected {
            #expect(!finding.frames.isEmpty)
            #expect(finding.frames.allSatisfy { $0 >= 1 && Int($0) <= scenario.frameCount })
            #expect(finding.uin == 1001)
        }
        #expect(Set(scenario.expected.map(\.kind)).isDisjoint(with: scenario.absent))
    }

    @Test func scenariosAreDeterministic() {
        for (name, build) in ICQScenarios.all { #expect(build().bytes == build().bytes, "\(name)") }
    }

    // MARK: Timing and shape, scenario by scenario

    @Test func recoveredRequestIsRetransmittedAfterTenSecondsWithNewBytes() throws {
        let s = ICQScenarios.droppedReplyRecovered()
        let frames = try ScenarioFrames.decode(s)
        let copies = frames.frames(s.frames("message"))
        #expect(copies.count == 2)
        #expect(copies[1].time - copies[0].time == 10 * Self.second)
        #expect(copies[0].payload != copies[1].payload, "each copy is encrypted anew")
        #expect(Array(copies[0].icq!.plaintext[0x18...]) == Array(copies[1].icq!.plaintext[0x18...]))
        #expect(copies.allSatisfy { $0.icq?.header.command == 0x010E })
        let ack = frames[s.frame("message.ack")]
        #expect(s.frames("message.ack").count == 1 && ack.time > copies[1].time)
        let expected = try #require(s.expected.first)
        #expect(expected.kind == "dropped_reply" && expected.detail == "recovered")
        #expect(expected.frames == s.frames("message") + s.frames("message.ack"))
        #expect(expected.client?.description == "192.168.1.2:1100" && expected.server?.description == "198.51.100.4:4000")
    }

    @Test func abandonedAndLostRequestsAreSentSixTimes() throws {
        for s in [ICQScenarios.droppedReplyAbandoned(), ICQScenarios.droppedReplySessionLost()] {
            let name = s.name == "dropped_reply_abandoned" ? "message" : "keepalive"
            let copies = s.frames(name)
            #expect(copies.count == 6, "\(s.name)")
            #expect(zip(copies, copies.dropFirst()).allSatisfy { s.time(of: $1) - s.time(of: $0) == 10 * Self.second })
            #expect(s.frames(name + ".ack").isEmpty)
            // The capture goes on past the last copy + 2 × RTO + the ack wait.
            #expect(s.times.last! - s.time(of: copies.last!) > 32 * Self.second)
        }
    }

    @Test func lateAckNearMissComesBeforeTheRetransmission() throws {
        let s = ICQScenarios.droppedReplyNearMissLateAck()
        #expect(s.frames("message").count == 1)
        let wait = s.time(of: s.frame("message.ack")) - s.time(of: s.frame("message"))
        #expect(wait > 9 * Self.second && wait < 10 * Self.second)
    }

    @Test func gatewayScenariosShowWhereTheLossHappened() throws {
        let acks = ICQScenarios.droppedReplyAckDroppedAtGateway()
        #expect(acks.frames("message@inside").count == 6 && acks.frames("message@outside").count == 6)
        #expect(acks.frames("message.ack@outside").count == 6 && acks.frames("message.ack@inside").isEmpty)
        let beyond = ICQScenarios.droppedReplyBeyondGateway()
        #expect(beyond.frames("message@outside").count == 6 && beyond.frames("message.ack").isEmpty)
        let timeout = ICQScenarios.firewallTimeoutConfirmedDroppedAtGateway()
        #expect(timeout.frames("push@outside").count == 6 && timeout.frames("push@inside").isEmpty)
        #expect(timeout.frames("keepalive@inside").count == 1 && timeout.frames("keepalive.ack@inside").count == 1)
        // A forwarded copy keeps its IP id and loses one hop of TTL.
        let frames = try ScenarioFrames.decode(timeout)
        let login = frames.frames(timeout.frames("login"))
        #expect(login.count == 2 && login[0].ipID == login[1].ipID && login[0].ttl == login[1].ttl + 1)
        #expect(login[1].source.description == "203.0.113.5" && login[1].sourcePort == 61001)
    }

    @Test func serverPushesAreRetransmittedEveryTenSecondsUnchanged() throws {
        let s = ICQScenarios.pushUnacknowledgedUndelivered()
        let frames = try ScenarioFrames.decode(s)
        let copies = frames.frames(s.frames("push"))
        #expect(copies.count == 6)
        #expect(Set(copies.map(\.payload)).count == 1, "iserverd resends the queued packet")
        #expect(zip(copies, copies.dropFirst()).allSatisfy { $1.time - $0.time == 10 * Self.second })
        #expect(copies.allSatisfy { $0.destination.description == "203.0.113.5" && $0.destinationPort == 61001 })
        let recovered = ICQScenarios.pushUnacknowledgedRecovered()
        #expect(recovered.frames("push").count == 2 && recovered.frames("push.ack").count == 1)
        let nearMiss = ICQScenarios.pushUnacknowledgedNearMiss()
        let wait = nearMiss.time(of: nearMiss.frame("push.ack")) - nearMiss.time(of: nearMiss.frame("push"))
        #expect(nearMiss.frames("push").count == 1 && wait > 9 * Self.second && wait < 10 * Self.second)
    }

    @Test func timeoutPushesComeAfterTheIdleGap() throws {
        for (s, gap) in [(ICQScenarios.firewallTimeoutProbable(), 180.0), (ICQScenarios.firewallTimeoutNearMiss(), 115.0)] {
            let push = s.frame("push")
            let quiet = s.time(of: push) - s.time(of: push - 1)
            #expect(abs(quiet - ICQSessionScript.seconds(gap)) < 50 * ICQSessionScript.millisecond, "\(s.name)")
        }
        let frames = try ScenarioFrames.decode(ICQScenarios.firewallTimeoutSuspected())
        guard case .loginReply(let reply)? = frames.first(where: { $0.icq?.header.command == 0x005A })?.icq?.body else {
            Issue.record("no login reply"); return
        }
        #expect(reply.keepAliveHint == 240)
    }

    @Test func icmpConfirmationQuotesThePush() throws {
        let s = ICQScenarios.firewallTimeoutConfirmedICMP()
        let frames = try ScenarioFrames.decode(s)
        let errors = frames.frames(s.frames("push.icmp"))
        #expect(errors.count == 6)
        for error in errors {
            #expect(error.icmpType == 3 && error.icmpCode == 3 && error.source.description == "203.0.113.5")
            let quoted = try #require(error.quoted)
            #expect(quoted.source.description == "198.51.100.4" && quoted.sourcePort == 4000)
            #expect(quoted.destination.description == "203.0.113.5" && quoted.destinationPort == 61001)
        }
    }

    @Test func natRebindingMovesTheClientToANewPort() throws {
        let s = ICQScenarios.firewallTimeoutConfirmedNATRebinding()
        let frames = try ScenarioFrames.decode(s)
        let keepalive = frames[s.frame("keepalive")]
        #expect(keepalive.sourcePort == 61777 && keepalive.icq?.header.sessionID == 0x2A5F_1C03)
        #expect(frames[s.frame("keepalive.ack")].destinationPort == 61777)
        #expect(frames.frames(s.frames("push")).allSatisfy { $0.destinationPort == 61001 })
    }

    @Test func sequenceGapIsTwoAfterTheGap() throws {
        let s = ICQScenarios.firewallTimeoutConfirmedSequenceGap()
        let frames = try ScenarioFrames.decode(s)
        #expect(s.frames("push").isEmpty, "the dropped pushes are not in an inside capture")
        let before = try #require(frames[s.frame("offline_done")].icq?.header.seq1)
        let after = try #require(frames[s.frame("later_push")].icq?.header.seq1)
        #expect(after == before + 2)
        #expect(s.time(of: s.frame("later_push")) - s.time(of: s.frame("offline_done")) > 120 * Self.second)
    }

    @Test func keepaliveIntervals() throws {
        for (s, interval, hint) in [(ICQScenarios.keepaliveExceedsFirewallTimeout(), Int64(150), UInt16(150)),
                                    (ICQScenarios.keepaliveNearMiss(), 100, 100),
                                    (ICQSamples.icqSession(), 120, 110)] {
            let times = s.frames("keepalive").map { s.time(of: $0) }
            #expect(times.count >= 2)
            #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == interval * Self.second }, "\(s.name)")
            let frames = try ScenarioFrames.decode(s)
            guard case .loginReply(let reply)? = frames[s.frame("login_reply")].icq?.body else {
                Issue.record("no login reply"); continue
            }
            #expect(reply.keepAliveHint == hint)
        }
    }

    @Test func peerAttemptsGoToTheAdvertisedPort() throws {
        let s = ICQScenarios.blockedPeerPort(.noAnswerDroppedAtGateway)
        let frames = try ScenarioFrames.decode(s)
        guard case .userOnline(let online)? = frames[s.frame("user_online.1002")].icq?.body else {
            Issue.record("no user online"); return
        }
        let syns = frames.frames(s.frames("peer.syn"))
        #expect(syns.count == 3 && syns.allSatisfy { $0.interface == 0 }, "the gateway drops them: inside only")
        #expect(syns.map { $0.time - syns[0].time } == [0, 3 * Self.second, 9 * Self.second])
        #expect(Set(syns.map(\.tcpSequence)).count == 1)
        #expect(syns.allSatisfy { $0.destination == online.externalIP && UInt32($0.destinationPort!) == online.tcpPort })
        #expect(s.times.last! - syns[0].time > 21 * Self.second)
        let expected = try #require(s.expected.first)
        #expect(expected.peer?.description == "198.51.100.20:3457" && expected.client?.description == "192.168.1.2:1031")
        let provisional = ICQScenarios.blockedPeerPortProvisional()
        let first = provisional.time(of: provisional.frame("peer.syn"))
        #expect(provisional.times.last! - first > ICQSessionScript.seconds(3.5))
        #expect(provisional.times.last! - first < 21 * Self.second)
    }

    @Test func resetsTellThePeerFromTheGateway() throws {
        let peer = ICQScenarios.blockedPeerPort(.rstFromPeer)
        let peerFrames = try ScenarioFrames.decode(peer)
        let peerRSTs = peerFrames.frames(peer.frames("peer.answer"))
        #expect(peerRSTs.count == 2 && Set(peerRSTs.map(\.interface)) == [0, 1])
        #expect(peerRSTs.allSatisfy { $0.tcpFlags == 0x014 } && peerRSTs.map(\.ttl).sorted() == [115, 116])
        let gateway = ICQScenarios.blockedPeerPort(.rstFromGateway)
        let gatewayFrames = try ScenarioFrames.decode(gateway)
        let forged = gatewayFrames.frames(gateway.frames("peer.answer"))
        #expect(forged.count == 1 && forged[0].interface == 0 && forged[0].ttl == 64 && forged[0].ipID == 0)
        #expect(gateway.frames("peer.syn@outside").isEmpty)
    }

    @Test func icmpAnswersToPeerSYNs() throws {
        for (s, code, reporter) in [(ICQScenarios.blockedPeerPort(.icmpFromGateway(code: 13)), UInt8(13), "192.168.1.1"),
                                    (ICQScenarios.blockedPeerPort(.icmpFromGateway(code: 3)), 3, "192.168.1.1"),
                                    (ICQScenarios.blockedPeerNearMissHostUnreachable(), 1, "203.0.113.1")] {
            let frames = try ScenarioFrames.decode(s)
            let answers = frames.frames(s.frames("peer.answer"))
            #expect(!answers.isEmpty)
            for answer in answers {
                #expect(answer.icmpType == 3 && answer.icmpCode == code && answer.source.description == reporter)
                #expect(answer.quoted?.protocolNumber == 6 && answer.quoted?.destinationPort == 3457)
            }
        }
        let low = ICQScenarios.blockedPeerNearMissLowPort()
        #expect(try ScenarioFrames.decode(low).frames(low.frames("web.syn")).allSatisfy { $0.destinationPort == 80 })
        let lan = ICQScenarios.blockedPeerNearMissPrivateIP()
        #expect(try ScenarioFrames.decode(lan)[lan.frame("peer.syn")].destination.isPrivate)
    }

    @Test func blockedServerPathHearsNothing() throws {
        for icmp in [false, true] {
            let s = ICQScenarios.serverPathBlocked(icmp: icmp)
            let frames = try ScenarioFrames.decode(s)
            #expect(s.frames("login").count == 6)
            #expect(frames.allSatisfy { $0.sourcePort != 4000 }, "nothing from the server")
            #expect(frames.frames(s.frames("login")).allSatisfy { $0.icq?.header.command == 0x03E8 })
            if icmp {
                let errors = frames.frames(s.frames("login.icmp"))
                #expect(errors.count == 6 && errors.allSatisfy { $0.icmpCode == 13 && $0.quoted?.destinationPort == 4000 })
            }
        }
    }

    @Test func socksAssociationCarriesICQAndOutlivesItsControlConnection() throws {
        let s = ICQScenarios.socksAssociationLost()
        let frames = try ScenarioFrames.decode(s)
        #expect(frames[s.frame("socks.associate")].payload == [5, 3, 0, 1, 0, 0, 0, 0, 0x04, 0x4C])
        #expect(frames[s.frame("socks.reply")].payload == [5, 0, 0, 1, 192, 168, 1, 5, 0x9E, 0x34])
        let relayed = frames.filter { $0.icq != nil }
        #expect(relayed.allSatisfy { Array($0.payload.prefix(10)) == [0, 0, 0, 1, 198, 51, 100, 4, 0x0F, 0xA0] })
        let fin = s.frame("socks.fin")
        #expect(s.frames("keepalive").count == 6 && s.frames("keepalive").allSatisfy { $0 > fin })
        #expect(frames.filter { $0.number > fin && $0.sourcePort == 40500 }.isEmpty)
        let nearMiss = ICQScenarios.socksNearMissUDPStops()
        let nearFrames = try ScenarioFrames.decode(nearMiss)
        #expect(nearFrames.filter { $0.number > nearMiss.frame("socks.fin") && $0.icq != nil }.isEmpty)
        #expect(nearFrames[nearMiss.frame("logout")].icq?.header.command == 0x0438)
    }
}
