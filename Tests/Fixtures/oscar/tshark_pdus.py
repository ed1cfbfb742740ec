#!/usr/bin/env python3
"""Turns `tshark -T json --no-duplicate-keys` output into one TSV line per FLAP (PDU).

Usage: tshark -r FILE -d tcp.port==5190,aim -Y aim -T json --no-duplicate-keys | tshark_pdus.py
Columns: frame, srcport, dstport, channel, seqno, datalen, family, subtype, flags, id
(the SNAC columns are empty for FLAPs that carry no SNAC). Values as tshark prints them.
"""
import json, sys

def walk_fnac(d):
    """The first dict below d that holds aim.fnac.family (tshark nests it under a label key)."""
    if isinstance(d, dict):
        if "aim.fnac.family" in d:
            return d
        for v in d.values():
            r = walk_fnac(v)
            if r is not None:
                return r
    return None

print("frame\tsrcport\tdstport\tchannel\tseqno\tdatalen\tfamily\tsubtype\tflags\tid")
for pkt in json.load(sys.stdin):
    layers = pkt["_source"]["layers"]
    aims = layers["aim"]
    if isinstance(aims, dict):
        aims = [aims]
    for a in aims:
        f = walk_fnac(a) or {}
        row = [layers["frame"]["frame.number"], layers["tcp"]["tcp.srcport"], layers["tcp"]["tcp.dstport"],
               a.get("aim.channel", ""), a.get("aim.seqno", ""), a.get("aim.datalen", ""),
               f.get("aim.fnac.family", ""), f.get("aim.fnac.subtype", ""), f.get("aim.fnac.flags", ""),
               f.get("aim.fnac.id", "")]
        print("\t".join(row))
