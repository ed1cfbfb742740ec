/// Where the capture was taken, as the analysis assumed it (the output contract's "Inside and
/// outside"): both sides of a gateway, with the inside the side where the clients' first packet
/// to the server appeared; or one side, where the inside is the hosts that log in to the server;
/// `--inside` overrides either.
public struct Vantage: Sendable, Equatable {
    /// Capture sides that held IP packets (interfaces, or Linux cooked v2 ifindexes): 1, 2, or 3
    /// for three or more.
    public var sides: Int
    /// Two sides: the inside's and the outside's names (nil when no client packet to the server
    /// said which); one side: `interface` names it.
    public var inside: String?
    public var outside: String?
    public var interface: String?
    /// `--inside` networks, when given.
    public var insideNetworks: [String]

    public init(sides: Int, inside: String? = nil, outside: String? = nil, interface: String? = nil,
                insideNetworks: [String] = []) {
        self.sides = sides
        self.inside = inside
        self.outside = outside
        self.interface = interface
        self.insideNetworks = insideNetworks
    }

    /// How the inside was told: `option` (`--inside`), `first_client_packet` (two sides) or
    /// `hosts_logging_in` (one side).
    public var insideFrom: String {
        if !insideNetworks.isEmpty { return "option" }
        return sides >= 2 ? "first_client_packet" : "hosts_logging_in"
    }

    func writeNDJSON(_ json: inout JSONWriter) {
        json.beginObject("vantage")
        json.field("sides", sides)
        if sides >= 2 {
            json.key("inside")
            if let inside { json.string(inside) } else { json.null() }
            json.key("outside")
            if let outside { json.string(outside) } else { json.null() }
        } else if let interface {
            json.field("interface", interface)
        }
        json.field("inside_from", insideFrom)
        if !insideNetworks.isEmpty {
            json.beginArray("inside_networks")
            for network in insideNetworks { json.string(network) }
            json.endArray()
        }
        json.endObject()
    }

    var text: String {
        var line: String
        if sides >= 2 {
            line = sides == 2 ? "both sides of a gateway" : "three or more capture sides"
            if !insideNetworks.isEmpty {
                line += "; inside: " + insideNetworks.joined(separator: ", ") + " (--inside)"
            } else if let inside {
                line += ": inside \(inside) (where the clients' first packet to the server appeared)"
                if let outside { line += ", outside \(outside)" }
            } else {
                line += "; no client packet to the server said which side is inside"
            }
        } else {
            line = "one side" + (interface.map { " (\($0))" } ?? "") + "; inside: "
            line += insideNetworks.isEmpty ? "the hosts that log in to the server" : insideNetworks.joined(separator: ", ") + " (--inside)"
            line += "; drops beyond the capture point are inferred from what the peers do"
        }
        return line
    }
}
