import Bytes

extension SOCKSMessage {
    /// Visits the message's fields with Wireshark's `socks.*` names (tshark 4.0 packet-socks.c),
    /// in wire order. `bytes` are the message's own bytes (offset 0 = its first byte). The
    /// password is `.masked` unless `revealSecrets`. Names Wireshark lacks: `socks.command_name`,
    /// `socks.results_name`, `socks.auth_method_name`, `socks.auth_status_name`, `socks.userid`
    /// (the SOCKS4 USERID; Wireshark shows it as `socks.username`, so both are given).
    public func visitFields<V: FieldVisitor>(
        _ bytes: UnsafeRawBufferPointer, revealSecrets: Bool, into visitor: inout V
    ) {
        func text(_ range: Range<Int>) -> FieldValue {
            .text(UnsafeRawBufferPointer(rebasing: bytes[range]), .ascii)
        }
        // tshark shows the SOCKS4 reply's VN (0), and 5 for the RFC 1929 messages of a SOCKS5
        // connection (their own version byte is `socks.subnegotiation_version`).
        let version: UInt8 = kind == .v5AuthRequest || kind == .v5AuthReply ? 5 : versionByte
        visitor.visit("socks.version", .unsigned(UInt64(version)))
        switch kind {
        case .v4Request:
            visitor.visit("socks.command", .unsigned(UInt64(command)))
            visitor.visit("socks.command_name", .name(SOCKSNames.command(command)))
            visitor.visit("socks.dstport", .unsigned(UInt64(port)))
            if let address { visitor.visit("socks.dst", .address(address)) }
            if !userID.isEmpty { visitor.visit("socks.username", text(userID)) }
            if !domain.isEmpty { visitor.visit("socks.v4a_dns_name", text(domain)) }
        case .v4Reply:
            visitor.visit("socks.results", .unsigned(UInt64(code)))
            visitor.visit("socks.results_name", .name(SOCKSNames.v4Result(code)))
            visitor.visit("socks.dstport", .unsigned(UInt64(port)))
            if let address { visitor.visit("socks.dst", .address(address)) }
        case .v5Greeting:
            visitor.visit("socks.auth_method_count", .unsigned(UInt64(methods.count)))
            visitor.visit("socks.auth_method", .byteList(UnsafeRawBufferPointer(rebasing: bytes[methods])))
        case .v5MethodSelection:
            visitor.visit("socks.auth_accepted_method", .unsigned(UInt64(code)))
            visitor.visit("socks.auth_method_name", .name(SOCKSNames.method(code)))
        case .v5AuthRequest:
            visitor.visit("socks.subnegotiation_version", .unsigned(UInt64(versionByte)))
            visitor.visit("socks.username", text(username))
            visitor.visit("socks.password", revealSecrets ? text(password) : .masked)
        case .v5AuthReply:
            visitor.visit("socks.subnegotiation_version", .unsigned(UInt64(versionByte)))
            visitor.visit("socks.auth_status", .unsigned(UInt64(code)))
            visitor.visit("socks.auth_status_name", .name(SOCKSNames.authStatus(code)))
        case .v5Request, .v5Reply:
            if kind == .v5Request {
                visitor.visit("socks.command", .unsigned(UInt64(command)))
                visitor.visit("socks.command_name", .name(SOCKSNames.command(command)))
            } else {
                visitor.visit("socks.results", .unsigned(UInt64(code)))
                visitor.visit("socks.results_name", .name(SOCKSNames.v5Result(code)))
            }
            visitor.visit("socks.address_type", .unsigned(UInt64(addressType)))
            if let address {
                visitor.visit(address.isIPv6 ? "socks.dstV6" : "socks.dst", .address(address))
            } else {
                visitor.visit("socks.remote_name", text(domain))
            }
            visitor.visit("socks.port", .unsigned(UInt64(port)))
        }
    }
}

extension SOCKSUDPHeader {
    /// The SOCKS5 UDP header's fields: `socks.fragment_number`, `socks.address_type`, the real
    /// destination (`socks.dst`/`socks.dstV6`/`socks.remote_name`) and `socks.dstport` (tshark's
    /// name for the UDP header's port); `bytes` is the whole datagram given to `parse`.
    public func visitFields<V: FieldVisitor>(_ bytes: UnsafeRawBufferPointer, into visitor: inout V) {
        visitor.visit("socks.fragment_number", .unsigned(UInt64(fragment)))
        visitor.visit("socks.address_type", .unsigned(UInt64(addressType)))
        if let address {
            visitor.visit(address.isIPv6 ? "socks.dstV6" : "socks.dst", .address(address))
        } else {
            visitor.visit("socks.remote_name", .text(UnsafeRawBufferPointer(rebasing: bytes[domain]), .ascii))
        }
        visitor.visit("socks.dstport", .unsigned(UInt64(port)))
    }
}
