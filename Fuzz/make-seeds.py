#!/usr/bin/env python3
"""Derives each harness's seed corpus (Fuzz/seeds/<Harness>/) from the capture files: the
samples and the other software's captures in Tests/Fixtures/captures. Deterministic: the same captures give
the same seeds. Run it again after adding captures; the seeds are committed (small files), so
the fuzz run and the replay test (Tests/FuzzReplayTests) do not need it.

    python3 Fuzz/make-seeds.py
"""
import hashlib, os, struct, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Fuzz" / "seeds"
MAX_SEED = 8192
PER_HARNESS = 64

def captures():
    paths = sorted((ROOT / "samples").rglob("*.pcap*"))
    fixtures = ROOT / "Tests" / "Fixtures" / "captures"
    paths += sorted(p for p in fixtures.rglob("*") if p.suffix in (".pcap", ".pcapng"))
    return paths

# ---- capture files -------------------------------------------------------------------------

def read_capture(data):
    """[(linktype, ts_ns, frame)], and the record/block boundaries (byte offsets) for cutting."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        linktype = struct.unpack(e + "I", data[20:24])[0] & 0x03FFFFFF
        out, cuts, at = [], [24], 24
        while at + 16 <= len(data):
            s, f, cap, orig = struct.unpack(e + "IIII", data[at:at + 16])
            if cap > 262144 or at + 16 + cap > len(data):
                break
            out.append((linktype, s * 10**9 + (f if nanos else f * 1000), data[at + 16:at + 16 + cap]))
            at += 16 + cap
            cuts.append(at)
        return out, cuts
    if magic == b"\x0a\x0d\x0d\x0a":
        out, cuts, at, e, ifaces = [], [], 0, "<", []
        while at + 12 <= len(data):
            btype = struct.unpack("<I", data[at:at + 4])[0]
            if btype == 0x0A0D0D0A:
                e = "<" if data[at + 8:at + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                ifaces = []
            length = struct.unpack(e + "I", data[at + 4:at + 8])[0]
            if length < 12 or at + length > len(data):
                break
            body = data[at + 8:at + length - 4]
            if btype == 1:
                ifaces.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, hi, lo, cap, orig = struct.unpack(e + "IIIII", body[:20])
                lt = ifaces[iface] if iface < len(ifaces) else 1
                out.append((lt, (hi << 32 | lo) * 1000, body[20:20 + cap]))
            elif btype == 3 and len(body) >= 4 and ifaces:
                out.append((ifaces[0], 0, body[4:]))
            at += length
            cuts.append(at)
        return out, cuts
    return [], []

def pcap_file(packets, big=False, nanos=False):
    e = ">" if big else "<"
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    lt = packets[0][0] if packets else 1
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 262144, lt)
    for linktype, ts, frame in packets:
        if linktype != lt:
            continue
        s, ns = divmod(ts, 10**9)
        out += struct.pack(e + "IIII", s & 0xFFFFFFFF, ns if nanos else ns // 1000, len(frame), len(frame)) + frame
        if len(out) > MAX_SEED:
            break
    return out

def cut(data, cuts, limit=MAX_SEED):
    best = cuts[0] if cuts else len(data)
    for c in cuts:
        if c <= limit:
            best = c
    return data[:best]

# ---- frames ----------------------------------------------------------------------------------

def network(linktype, frame):
    """(ethertype, offset) of the network layer."""
    if linktype == 1:
        at, et = 14, struct.unpack(">H", frame[12:14])[0] if len(frame) >= 14 else 0
        while et in (0x8100, 0x88A8) and len(frame) >= at + 4:
            et = struct.unpack(">H", frame[at + 2:at + 4])[0]
            at += 4
        return et, at
    if linktype == 113 and len(frame) >= 16:
        return struct.unpack(">H", frame[14:16])[0], 16
    if linktype == 276 and len(frame) >= 20:
        return struct.unpack(">H", frame[0:2])[0], 20
    if linktype in (101, 12, 14, 228, 229) and frame:
        return (0x0800 if frame[0] >> 4 == 4 else 0x86DD), 0
    if linktype in (0, 108) and len(frame) >= 4:
        return (0x0800 if frame[4] >> 4 == 4 else 0x86DD) if len(frame) > 4 else 0, 4
    return 0, 0

def transport(linktype, frame):
    """(proto, src, sport, dst, dport, tcp_seq, tcp_flags, payload) or None."""
    et, at = network(linktype, frame)
    if et == 0x0800 and len(frame) >= at + 20:
        ihl = (frame[at] & 15) * 4
        total = struct.unpack(">H", frame[at + 2:at + 4])[0]
        frag = struct.unpack(">H", frame[at + 6:at + 8])[0] & 0x3FFF
        if frag:
            return None
        proto, src, dst = frame[at + 9], frame[at + 12:at + 16], frame[at + 16:at + 20]
        end = min(len(frame), at + total) if total else len(frame)
        at += ihl
    elif et == 0x86DD and len(frame) >= at + 40:
        proto, src, dst = frame[at + 6], frame[at + 8:at + 24], frame[at + 24:at + 40]
        end = min(len(frame), at + 40 + struct.unpack(">H", frame[at + 4:at + 6])[0])
        at += 40
    else:
        return None
    if proto == 17 and end >= at + 8:
        sp, dp = struct.unpack(">HH", frame[at:at + 4])
        return (17, src, sp, dst, dp, 0, 0, frame[at + 8:end])
    if proto == 6 and end >= at + 20:
        sp, dp, seq = struct.unpack(">HHI", frame[at:at + 8])
        off = (frame[at + 12] >> 4) * 4
        return (6, src, sp, dst, dp, seq, frame[at + 13], frame[at + off:end])
    return None

def connections(packets):
    """TCP connections: {key: {"order": [(side, seq, payload)], "first": (src, sport)}} in
    capture order, retransmissions dropped."""
    conns = {}
    for lt, ts, frame in packets:
        t = transport(lt, frame)
        if not t or t[0] != 6:
            continue
        _, src, sp, dst, dp, seq, flags, payload = t
        a, b = (src, sp), (dst, dp)
        key = (a, b) if (a, b) in conns or (b, a) not in conns else (b, a)
        c = conns.setdefault(key, {"segments": [], "next": {}, "isn": {}})
        side = 0 if (a, b) == key else 1
        if flags & 2:
            c["isn"][side] = seq
            c["next"][side] = (seq + 1) & 0xFFFFFFFF
            continue
        if not payload:
            continue
        c["isn"].setdefault(side, (seq - 1) & 0xFFFFFFFF)
        nxt = c["next"].get(side, seq)
        if ((seq - nxt) & 0xFFFFFFFF) >= 0x80000000:
            continue  # retransmission of bytes already seen
        c["next"][side] = (seq + len(payload)) & 0xFFFFFFFF
        c["segments"].append((side, (seq - c["isn"][side] - 1) & 0xFFFFFFFF, payload))
    return [c for c in conns.values() if c["segments"]]

def stream_bytes(c, side):
    return b"".join(p for s, _, p in c["segments"] if s == side)

def kind(c):
    client = stream_bytes(c, 0)
    server = stream_bytes(c, 1)
    for data in (client, server):
        if data[:1] == b"\x2a" and len(data) >= 6 and 1 <= data[1] <= 5:
            return "oscar"
    if client[:1] in (b"\x04", b"\x05"):
        return "socks"
    if len(client) >= 3 and client[2] == 0xFF:
        return "peer"
    return "other"

def chunks(c):
    out = b""
    for side, _, payload in c["segments"]:
        for i in range(0, len(payload), 127):
            piece = payload[i:i + 127]
            out += bytes([(len(piece) << 1) | side]) + piece
        if len(out) > MAX_SEED:
            break
    return out[:MAX_SEED]

def segments(c, header=3, reverse_pairs=False):
    segs = []
    for side, offset, payload in c["segments"]:
        for i in range(0, len(payload), 255):
            if offset + i > 0xFFFF:
                break
            piece = payload[i:i + 255]
            segs.append(bytes([side]) + struct.pack("<HB", offset + i, len(piece)) + piece)
    if reverse_pairs:
        for i in range(0, len(segs) - 1, 2):
            segs[i], segs[i + 1] = segs[i + 1], segs[i]
    out = bytes([header])
    for s in segs:
        if len(out) + len(s) > MAX_SEED:
            break
        out += s
    return out

def flaps(data):
    at = 0
    while at + 6 <= len(data) and data[at] == 0x2A:
        length = struct.unpack(">H", data[at + 4:at + 6])[0]
        if at + 6 + length > len(data):
            break
        yield data[at:at + 6 + length]
        at += 6 + length

# ---- seeds -------------------------------------------------------------------------------------

def main():
    seeds = {h: {} for h in ["FuzzPcap", "FuzzPcapng", "FuzzPacket", "FuzzICQ", "FuzzICQCipher", "FuzzPeer",
                             "FuzzOSCARFraming", "FuzzOSCARPDU", "FuzzSOCKS", "FuzzStream", "FuzzAnalysis"]}
    def add(harness, name, data, key=None):
        if not data or len(data) > MAX_SEED + 64:
            return
        key = key or hashlib.sha1(data).hexdigest()
        if key in seeds[harness] or len(seeds[harness]) >= PER_HARNESS * 4:
            return
        seeds[harness][key] = (name, data)

    # Classic ICQ v2 and v3 are in no capture we have: headers of their forms (icq-protocol.md
    # §2.2) with a few commands of each direction, bodies empty or of zeros.
    for version in (2, 3):
        for direction, commands in ((1, (0x03E8, 0x042E, 0x0438, 0x010E, 0x000A)), (2, (0x000A, 0x005A, 0x006E, 0x0078, 0x00DC))):
            for command in commands:
                if version == 2:
                    header = struct.pack("<HHH", 2, command, 7) + (struct.pack("<I", 123456) if direction == 1 else b"")
                else:
                    header = struct.pack("<HHHHII", 3, command, 7, 0, 123456, 0)
                for body in (b"", bytes(12)):
                    add("FuzzICQ", f"synthetic-v{version}", bytes([direction]) + header + body)
    # A damaged pcap: its last record cut short.
    for path in captures()[:1]:
        packets, _ = read_capture(path.read_bytes())
        add("FuzzPcap", "synthetic-truncated-pcap", pcap_file(packets[:6])[:-5])

    link_selector = {1: 0, 101: 1, 113: 2, 276: 3, 0: 4, 108: 5, 228: 6, 229: 7, 12: 8, 14: 9}
    for path in captures():
        data = path.read_bytes()
        packets, cuts = read_capture(data)
        stem = path.stem.replace(".", "-")
        is_pcapng = data[:4] == b"\x0a\x0d\x0d\x0a"
        if "damaged" in path.parts or len(data) <= MAX_SEED:
            add("FuzzPcapng" if is_pcapng else "FuzzPcap", stem, data)
            add("FuzzAnalysis", stem, b"\x00" + data)
        if not packets:
            continue
        small = cut(data, cuts)
        add("FuzzPcapng" if is_pcapng else "FuzzPcap", stem + "-head", small)
        add("FuzzAnalysis", stem + "-head", b"\x00" + small)
        add("FuzzAnalysis", stem + "-head-text", b"\x03" + cut(data, cuts, 4096))
        add("FuzzPcap", stem + "-as-pcap", pcap_file(packets[:20]))
        add("FuzzPcap", stem + "-as-pcap-be-ns", pcap_file(packets[:6], big=True, nanos=True))
        for lt, ts, frame in packets:
            t = transport(lt, frame)
            sel = link_selector.get(lt)
            if sel is not None:
                shape = (lt, t[0] if t else None, len(frame) // 256)
                add("FuzzPacket", f"{stem}-lt{lt}", bytes([sel]) + frame, key=str(shape))
                et, at = network(lt, frame)
                if et in (0x0800, 0x86DD) and at:
                    add("FuzzPacket", f"{stem}-raw", bytes([1]) + frame[at:], key=str(("raw",) + shape))
            if t and t[0] == 17:
                _, src, sp, dst, dp, _, _, payload = t
                if len(payload) >= 2 and payload[1] == 0 and 2 <= payload[0] <= 5:
                    version = payload[0]
                    # Client v4/v5 commands are encrypted: those keep one seed per length.
                    command = payload[2:4] if version in (2, 3) else (len(payload) if dp == 4000 else payload[6:8])
                    if dp == 4000 or sp == 4000:
                        direction = 1 if dp == 4000 else 2
                        add("FuzzICQ", f"{stem}-v{version}", bytes([direction]) + payload, key=str((version, direction, bytes(command))))
                        add("FuzzICQ", f"{stem}-v{version}-ports", bytes([0 if dp == 4000 else 4]) + payload, key=str(("ports", version, direction)))
                elif len(payload) >= 4 and payload[0] == 0 and payload[1] == 0:
                    add("FuzzSOCKS", f"{stem}-udp", bytes([len(payload[:127]) << 1]) + payload[:127], key=str(("udp", payload[3])))
        for c in connections(packets):
            k = kind(c)
            first = stem + "-" + k
            if k == "oscar":
                add("FuzzOSCARFraming", first, chunks(c))
                for side in (0, 1):
                    for flap in flaps(stream_bytes(c, side)):
                        fam = flap[6:10] if flap[1] == 2 else b""
                        add("FuzzOSCARPDU", first + "-flap", flap, key=str((flap[1], bytes(fam))))
            elif k == "socks":
                add("FuzzSOCKS", first, chunks(c))
            elif k == "peer":
                add("FuzzPeer", first, chunks(c))
            if k != "other":
                add("FuzzStream", first, segments(c))
                add("FuzzStream", first + "-swapped", segments(c, header=1 | 8, reverse_pairs=True))

    # The cipher harness: packets of every client command the samples use would need the
    # plaintext; a few shapes of each cipher suffice, the fuzzer finds the commands.
    for v4 in (0, 1):
        for size in (24, 30, 46, 90):
            body = bytes((i * 37 + size) & 0xFF for i in range(size - 2))
            add("FuzzICQCipher", f"v{4 if v4 else 5}-{size}", bytes([v4, size - 3, 0x42]) + body)

    OUT.mkdir(parents=True, exist_ok=True)
    for harness, found in seeds.items():
        folder = OUT / harness
        folder.mkdir(exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        # Round-robin over the captures, so that each contributes before any gives a second seed.
        groups = {}
        for name, data in found.values():
            groups.setdefault(name, []).append((name, data))
        chosen, lists = [], list(groups.values())
        while len(chosen) < PER_HARNESS and any(lists):
            for group in lists:
                if group and len(chosen) < PER_HARNESS:
                    chosen.append(group.pop(0))
        for i, (name, data) in enumerate(chosen):
            (folder / f"{i:02d}-{name}"[:80]).write_bytes(data)
        print(f"{harness}: {len(chosen)} seeds, {sum(len(d) for _, d in chosen)} bytes", file=sys.stderr)

main()
