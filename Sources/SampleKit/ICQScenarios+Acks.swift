import Bytes

/// R1 (`dropped_reply`) and R2 (`push_unacknowledged`) scenarios.
extension ICQScenarios {
    // MARK: dropped_reply

    /// Inside capture. At login + ~6 s the client sends CMD_SEND_MESSAGE; the first copy is lost
    /// beyond the gateway, the retransmission 10 s later is acked (ack after 2 copies).
    /// Must report: `dropped_reply`, severity warning, detail `recovered`, client
    /// 192.168.1.2:1100, server 198.51.100.4:4000, UIN 1001, frames = the 2 copies of `message`
    /// and its ack `message.ack`.
    public static func droppedReplyRecovered() -> ScenarioCapture {
        var s = loggedIn(.inside, seed: 21)
        s.sendMessage(to: peerA.uin, "did you get my file?", name: "message", copies: [.lostBeyondGateway, .acked])
        s.advance(seconds: 20)
        s.receiveMessage(from: peerA.uin, "yes, thanks", name: "message_in")
        s.expect("dropped_reply", severity: "warning", detail: "recovered", evidence: ["message", "message.ack"])
        return s.capture(name: "dropped_reply_recovered")
    }

    /// Inside capture. CMD_SEND_MESSAGE sent 6 times 10 s apart (the Mirabilis client's maximum),
    /// never acked (lost beyond the gateway); the session goes on: a push at +65 s is delivered and
    /// acked, the keep-alive at login + 100 s is acked.
    /// Must report: `dropped_reply`, severity error, detail `abandoned`, frames = the 6 copies of
    /// `message`.
    public static func droppedReplyAbandoned() -> ScenarioCapture {
        var s = loggedIn(.inside, seed: 22)
        let start = s.setup.start
        s.sendMessage(to: peerA.uin, "hello?", name: "message", copies: Array(repeating: .lostBeyondGateway, count: 6))
        s.advance(seconds: 65)
        s.receiveMessage(from: peerA.uin, "are you still online?", name: "message_in")
        s.at(start + 100 * second)
        s.keepAlive()
        s.advance(seconds: 5)
        s.dnsLookup("www.example.com", answer: 0x5DB8_D822)
        s.expect("dropped_reply", severity: "error", detail: "abandoned", evidence: ["message"])
        return s.capture(name: "dropped_reply_abandoned")
    }

    /// Inside capture. The keep-alive at login + 100 s is sent 6 times and never acked; the
    /// client then gives up ("Connection unstable"): no more ICQ. A DNS lookup 40 s after the
    /// last copy carries the capture past every deadline.
    /// Must report: `dropped_reply`, severity error, detail `session_lost`, frames = the 6 copies
    /// of `keepalive`.
    public static func droppedReplySessionLost() -> ScenarioCapture {
        var s = loggedIn(.inside, seed: 23)
        let start = s.setup.start
        s.at(start + 100 * second)
        s.keepAlive(copies: Array(repeating: .lostBeyondGateway, count: 6))
        s.at(s.lastFrameTime + 40 * second)
        s.dnsLookup()
        s.expect("dropped_reply", severity: "error", detail: "session_lost", evidence: ["keepalive"])
        return s.capture(name: "dropped_reply_session_lost")
    }

    /// Two-sided capture. A message request leaves the gateway 6 times; the server acks every
    /// copy, and the gateway drops every ack (seen outside only): the firewall's doing.
    /// Must report: `dropped_reply`, severity error, detail `abandoned`, client 192.168.1.2:1100,
    /// frames = the copies of `message` (both sides) and the acks `message.ack` (outside only).
    /// The explanation must place the loss at the gateway (arrived outside, never left inside).
    public static func droppedReplyAckDroppedAtGateway() -> ScenarioCapture {
        var s = loggedIn(.gateway, seed: 24)
        s.sendMessage(to: peerA.uin, "ping", name: "message", copies: Array(repeating: .ackDroppedAtGateway, count: 6))
        s.at(s.lastFrameTime + 20 * second)
        s.dnsLookup()
        s.expect("dropped_reply", severity: "error", detail: "abandoned", evidence: ["message", "message.ack"])
        return s.capture(name: "dropped_reply_ack_dropped_at_gateway")
    }

    /// Two-sided capture. A message request leaves the gateway 6 times (seen on both sides) and
    /// nothing comes back: the loss is beyond the firewall (the path or the server).
    /// Must report: `dropped_reply`, severity error, detail `abandoned`, frames = the copies of
    /// `message`. The explanation must not blame the firewall.
    public static func droppedReplyBeyondGateway() -> ScenarioCapture {
        var s = loggedIn(.gateway, seed: 25)
        s.sendMessage(to: peerA.uin, "ping", name: "message", copies: Array(repeating: .lostBeyondGateway, count: 6))
        s.at(s.lastFrameTime + 20 * second)
        s.dnsLookup()
        s.expect("dropped_reply", severity: "error", detail: "abandoned", evidence: ["message"])
        return s.capture(name: "dropped_reply_beyond_gateway")
    }

    /// Near miss, inside capture: the server acks the message 9.6 s late, inside the 12 s wait
    /// and before the client's 10 s retransmission; one copy only.
    /// Must NOT report `dropped_reply`. Frames: `message`, `message.ack`.
    public static func droppedReplyNearMissLateAck() -> ScenarioCapture {
        var s = loggedIn(.inside, seed: 26)
        s.sendMessage(to: peerA.uin, "slow server today", name: "message", copies: [.ackedAfter(ICQSessionScript.seconds(9.6))])
        s.advance(seconds: 20)
        s.receiveMessage(from: peerA.uin, "indeed", name: "message_in")
        s.expectAbsent("dropped_reply")
        return s.capture(name: "dropped_reply_near_miss_late_ack")
    }

    // MARK: push_unacknowledged

    /// Outside capture (public side: client 203.0.113.5:61001). A message from peer A is pushed
    /// 5 s after login; the gateway drops the first copy, the server's retransmission 10 s later
    /// gets through and is acked.
    /// Must report: `push_unacknowledged`, severity warning, detail `recovered`, client
    /// 203.0.113.5:61001, frames = the 2 copies of `push` and `push.ack`.
    public static func pushUnacknowledgedRecovered() -> ScenarioCapture {
        var s = loggedIn(.outside, seed: 31)
        s.receiveMessage(from: peerA.uin, "knock knock", name: "push", copies: [.droppedAtGateway, .acked])
        s.advance(seconds: 25)
        s.sendMessage(to: peerA.uin, "who's there?", name: "message_out")
        s.expect("push_unacknowledged", severity: "warning", detail: "recovered", evidence: ["push", "push.ack"])
        s.expectAbsent("firewall_session_timeout")
        return s.capture(name: "push_unacknowledged_recovered")
    }

    /// Outside capture. A push 5 s after login (no idle gap) is sent 6 times (1 + iserverd's 5
    /// retries), each dropped by the gateway; the session goes on (keep-alive at login + 100 s
    /// acked).
    /// Must report: `push_unacknowledged`, severity warning, detail `undelivered`, frames = the 6
    /// copies of `push`. Must NOT report `firewall_session_timeout` (no gap longer than F).
    public static func pushUnacknowledgedUndelivered() -> ScenarioCapture {
        var s = loggedIn(.outside, seed: 32)
        let start = s.setup.start
        s.receiveMessage(from: peerA.uin, "knock knock", name: "push", copies: Array(repeating: .droppedAtGateway, count: 6))
        s.at(start + 100 * second)
        s.keepAlive()
        s.expect("push_unacknowledged", severity: "warning", detail: "undelivered", evidence: ["push"])
        s.expectAbsent("firewall_session_timeout")
        return s.capture(name: "push_unacknowledged_undelivered")
    }

    /// Near miss, outside capture: the client acks the push 9.8 s after it arrives, just before
    /// the server's 10 s retransmission; one copy only.
    /// Must NOT report `push_unacknowledged`. Frames: `push`, `push.ack`.
    public static func pushUnacknowledgedNearMiss() -> ScenarioCapture {
        var s = loggedIn(.outside, seed: 33)
        s.receiveMessage(from: peerA.uin, "knock knock", name: "push", copies: [.ackedAfter(ICQSessionScript.seconds(9.8))])
        s.advance(seconds: 25)
        s.sendMessage(to: peerA.uin, "who's there?", name: "message_out")
        s.expectAbsent("push_unacknowledged")
        return s.capture(name: "push_unacknowledged_near_miss")
    }
}
