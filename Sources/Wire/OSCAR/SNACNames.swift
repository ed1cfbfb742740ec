/// SNAC family and subtype names, spelled as Wireshark's AIM dissectors spell them (checked
/// against tshark 4.0's tree labels on the test captures), so users can move between the tools.
public enum SNACNames {
    public static func isKnownFamily(_ family: UInt16) -> Bool {
        (0x0001...0x0018).contains(family) || family == 0x0022 || family == 0x0025 || family == 0x0085
    }

    public static func family(_ family: UInt16) -> StaticString {
        switch family {
        case 0x0001: "AIM Generic"
        case 0x0002: "AIM Location"
        case 0x0003: "AIM Buddylist"
        case 0x0004: "AIM Messaging"
        case 0x0005: "AIM Advertisements"
        case 0x0006: "AIM Invitation"
        case 0x0007: "AIM Administrative"
        case 0x0008: "AIM Popup"
        case 0x0009: "AIM BOS"
        case 0x000A: "AIM User Lookup"
        case 0x000B: "AIM Stats"
        case 0x000C: "AIM Translate"
        case 0x000D: "AIM Chat Navigation"
        case 0x000E: "AIM Chat"
        case 0x000F: "AIM Directory Search"
        case 0x0010: "AIM Server Side Buddy Icons"
        case 0x0013: "AIM SSI"
        case 0x0015: "AIM ICQ"
        case 0x0017: "AIM Signon"
        case 0x0018: "AIM E-mail"
        case 0x0022: "AIM ICQ Plugins"
        case 0x0025: "AIM Unattended Client"
        default: "Unknown"
        }
    }

    public static func subtype(family: UInt16, subtype: UInt16) -> StaticString {
        // Subtype 1 is the error reply in every family.
        if subtype == 0x0001 { return "Error" }
        switch family {
        case 0x0001: return generic(subtype)
        case 0x0002: return location(subtype)
        case 0x0003: return buddylist(subtype)
        case 0x0004: return messaging(subtype)
        case 0x0009: return bos(subtype)
        case 0x000B:
            switch subtype {
            case 0x0002: return "Set Report Interval"
            case 0x0003: return "Report Events"
            case 0x0004: return "Report Ack"
            default: return "Unknown"
            }
        case 0x0013: return ssi(subtype)
        case 0x0015:
            switch subtype {
            case 0x0002: return "ICQ Request"
            case 0x0003: return "ICQ Response"
            default: return "Unknown"
            }
        case 0x0017: return signon(subtype)
        default: return "Unknown"
        }
    }

    static func generic(_ subtype: UInt16) -> StaticString {
        switch subtype {
        case 0x0002: "Client Ready"
        case 0x0003: "Server Ready"
        case 0x0004: "Service Request"
        case 0x0005: "Redirect"
        case 0x0006: "Rate Info Request"
        case 0x0007: "Rate Info"
        case 0x0008: "Rate Info Ack"
        case 0x0009: "Rate Info Delete"
        case 0x000A: "Rate Change"
        case 0x000B: "Server Pause"
        case 0x000C: "Server Pause Ack"
        case 0x000D: "Server Resume"
        case 0x000E: "Self Info Request"
        case 0x000F: "Self Info Reply"
        case 0x0010: "Evil"
        case 0x0011: "Set Idle"
        case 0x0012: "Migration"
        case 0x0013: "Message Of The Day"
        case 0x0014: "Set Privilege Flags"
        case 0x0015: "Well Known URL"
        case 0x0016: "No-op"
        case 0x0017: "Capabilities"
        case 0x0018: "Capabilities Ack"
        case 0x001E: "Set Extended Status Request"
        case 0x001F: "Client Verification Request"
        case 0x0020: "Client Verification Reply"
        case 0x0021: "Extended Status"
        default: "Unknown"
        }
    }

    static func location(_ subtype: UInt16) -> StaticString {
        switch subtype {
        case 0x0002: "Request Rights"
        case 0x0003: "Rights Info"
        case 0x0004: "Set User Info"
        case 0x0005: "Request User Info"
        case 0x0006: "User Info"
        case 0x0007: "Watcher Subrequest"
        case 0x0008: "Watcher Notification"
        case 0x0009: "Update Directory Info Request"
        case 0x000A: "Update Directory Info Reply"
        case 0x000B: "Query Screen Name"
        case 0x000C: "Screen Name Reply"
        case 0x000F: "Update Interests Request"
        case 0x0010: "Update Interests Reply"
        case 0x0015: "Request User Info Extended"
        default: "Unknown"
        }
    }

    static func buddylist(_ subtype: UInt16) -> StaticString {
        switch subtype {
        case 0x0002: "Rights Request"
        case 0x0003: "Rights Reply"
        case 0x0004: "Add Buddy"
        case 0x0005: "Remove Buddy"
        case 0x0006: "Watchers List Request"
        case 0x0007: "Watchers List Reply"
        case 0x000A: "Reject Buddy"
        case 0x000B: "Oncoming Buddy"
        case 0x000C: "Offgoing Buddy"
        default: "Unknown"
        }
    }

    static func messaging(_ subtype: UInt16) -> StaticString {
        switch subtype {
        case 0x0002: "Set ICBM Parameter"
        case 0x0003: "Reset ICBM Parameter"
        case 0x0004: "Request Parameter Info"
        case 0x0005: "Parameter Info"
        case 0x0006: "Outgoing"
        case 0x0007: "Incoming"
        case 0x0008: "Evil Request"
        case 0x0009: "Evil Response"
        case 0x000A: "Missed Call"
        case 0x000B: "Client Error"
        case 0x000C: "Acknowledge"
        case 0x0010: "Offline Messages Request"
        case 0x0014: "Mini Typing Notifications (MTN)"
        case 0x0017: "Offline Messages Reply"
        default: "Unknown"
        }
    }

    static func bos(_ subtype: UInt16) -> StaticString {
        switch subtype {
        case 0x0002: "Rights Query"
        case 0x0003: "Rights"
        case 0x0004: "Set Group Permissions Mask"
        case 0x0005: "Add To Visible List"
        case 0x0006: "Delete From Visible List"
        case 0x0007: "Add To Invisible List"
        case 0x0008: "Delete From Invisible List"
        default: "Unknown"
        }
    }

    static func ssi(_ subtype: UInt16) -> StaticString {
        switch subtype {
        case 0x0002: "Request Rights"
        case 0x0003: "Rights Info"
        case 0x0004: "Request List (first time)"
        case 0x0005: "Request List"
        case 0x0006: "List"
        case 0x0007: "Activate"
        case 0x0008: "Add Buddy"
        case 0x0009: "Modify Buddy"
        case 0x000A: "Delete Buddy"
        case 0x000E: "Server Ack"
        case 0x000F: "No List"
        case 0x0011: "Edit Start"
        case 0x0012: "Edit Stop"
        case 0x0014: "Grant Future Authorization to Buddy"
        case 0x0015: "Future Authorization Granted"
        case 0x0016: "Delete Yourself From List"
        case 0x0018: "Send Authentication Request"
        case 0x0019: "Authentication Request"
        case 0x001A: "Send Authentication Reply"
        case 0x001B: "Authentication Reply"
        case 0x001C: "Added by Someone"
        default: "Unknown"
        }
    }

    static func signon(_ subtype: UInt16) -> StaticString {
        switch subtype {
        case 0x0002: "Logon"
        case 0x0003: "Logon Reply"
        case 0x0004: "Request UIN"
        case 0x0005: "New UIN"
        case 0x0006: "Sign-on"
        case 0x0007: "Sign-on Reply"
        case 0x000A: "Server SecurID Request"
        case 0x000B: "Client SecurID Reply"
        default: "Unknown"
        }
    }
}
