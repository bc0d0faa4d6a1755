#!/usr/bin/env python3
# Builds fuzz_netlink's seed corpus from the kernel recordings in tests/fixtures/netlink: for each
# recording, the name of the first RTM_NEWLINK's interface (or "eth0"), a NUL, then every datagram
# of the recording back to back (the seam walks them as one).
#   fuzz/netlink-seeds.py OUT_DIR
import os
import struct
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
fixtures = os.path.join(top, "tests", "fixtures", "netlink")
RTM_NEWLINK, IFLA_IFNAME, IFINFOMSG_LEN = 16, 3, 16


def ifname(data):
    length, kind = struct.unpack_from("=IH", data, 0)
    if kind != RTM_NEWLINK:
        return b"eth0"
    off, end = 16 + IFINFOMSG_LEN, min(length, len(data))
    while off + 4 <= end:
        alen, atype = struct.unpack_from("=HH", data, off)
        if alen < 4:
            break
        if atype == IFLA_IFNAME:
            return data[off + 4:off + alen].split(b"\0")[0]
        off += (alen + 3) & ~3
    return b"eth0"


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name in sorted(os.listdir(fixtures)):
    if not name.endswith(".hex"):
        continue
    with open(os.path.join(fixtures, name)) as f:
        grams = [bytes.fromhex(l.strip()) for l in f if l.strip() and not l.startswith("#")]
    data = b"".join(grams)
    with open(os.path.join(out, name[:-4]), "wb") as f:
        f.write(ifname(data) + b"\0" + data)
