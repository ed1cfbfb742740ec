import Bytes
import Wire

/// Writes the fields a stream decoder visits (`FieldVisitor`, dotted Wireshark-style names such as
/// `socks.dstport` or `icq.peer.init.port`) into a `JSONWriter` as nested objects:
/// `{"socks":{"version":5,"dstport":80}}`. Consecutive fields that share a prefix share the
/// object, so decoders visit fields grouped by prefix (they do). `skipComponents` drops leading
/// components the caller has already opened, e.g. 1 for `"socks":[{…},{…}]` when a segment
/// holds several PDUs.
public struct JSONFieldVisitor: FieldVisitor {
    public var json: JSONWriter
    public var revealSecrets = false
    let skipComponents: Int
    var previous: StaticString? = nil
    /// Objects opened for the previous field's path.
    var openDepth = 0

    /// Runs `body` with a visitor writing into `json` (moved in and back, not copied).
    public static func write(
        into json: inout JSONWriter, skipComponents: Int = 0, _ body: (inout JSONFieldVisitor) -> Void
    ) {
        var visitor = JSONFieldVisitor(json: JSONWriter(capacity: 0), skipComponents: skipComponents)
        swap(&visitor.json, &json)
        body(&visitor)
        visitor.closeAll()
        swap(&visitor.json, &json)
    }

    init(json: JSONWriter, skipComponents: Int) {
        self.json = json
        self.skipComponents = skipComponents
    }

    public mutating func visit(_ name: StaticString, _ value: FieldValue) {
        name.withUTF8Buffer { new in
            let components = Self.split(new)
            var common = 0
            if let previous {
                previous.withUTF8Buffer { old in
                    let oldComponents = Self.split(old)
                    // Objects shared with the previous path (never the leaf).
                    while common < min(oldComponents.count, components.count) - 1,
                        old[oldComponents[common]].elementsEqual(new[components[common]])
                    { common += 1 }
                }
            }
            let sharedOpen = max(0, common - skipComponents)
            while openDepth > sharedOpen {
                json.endObject()
                openDepth -= 1
            }
            let start = max(common, skipComponents)
            if components.count - 1 > start {
                for c in start..<(components.count - 1) {
                    json.key(utf8: UnsafeBufferPointer(rebasing: new[components[c]]))
                    json.beginObject()
                    openDepth += 1
                }
            }
            let leaf = components[components.count - 1]
            json.key(utf8: UnsafeBufferPointer(rebasing: new[leaf]))
        }
        previous = name
        writeValue(value)
    }

    mutating func writeValue(_ value: FieldValue) {
        switch value {
        case .unsigned(let v): json.integer(v)
        case .address(let a): json.address(a)
        case .text(let bytes, .ascii), .text(let bytes, .utf8): json.string(utf8: bytes)
        case .text(let bytes, .localCodePage): json.string(TextDecoding.string(bytes, .localCodePage))
        case .name(let n): json.string(n)
        case .bool(let b): json.bool(b)
        case .masked: json.string("********" as StaticString)
        case .byteList(let bytes):
            json.beginArray()
            for b in bytes { json.integer(b) }
            json.endArray()
        case .u32LEList(let bytes):
            json.beginArray()
            var at = 0
            while at + 4 <= bytes.count {
                json.integer(bytes.u32LE(at: at))
                at += 4
            }
            json.endArray()
        }
    }

    mutating func closeAll() {
        while openDepth > 0 {
            json.endObject()
            openDepth -= 1
        }
        previous = nil
    }

    /// Ranges of the dot-separated components (at most 8: the decoders' names have at most 4).
    static func split(_ name: UnsafeBufferPointer<UInt8>) -> ComponentRanges {
        var result = ComponentRanges()
        var start = 0
        for i in 0..<name.count where name[i] == UInt8(ascii: ".") {
            result.append(start..<i)
            start = i + 1
        }
        result.append(start..<name.count)
        return result
    }
}

/// Up to 8 ranges held inline, so splitting a name allocates nothing.
struct ComponentRanges {
    var storage: (Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>) =
        (0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0)
    var count = 0

    mutating func append(_ r: Range<Int>) {
        guard count < 8 else { return }
        withUnsafeMutableBytes(of: &storage) { $0.bindMemory(to: Range<Int>.self)[count] = r }
        count += 1
    }

    subscript(i: Int) -> Range<Int> {
        withUnsafeBytes(of: storage) { $0.bindMemory(to: Range<Int>.self)[i] }
    }
}
