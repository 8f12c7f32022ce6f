"""A small MaxMind DB writer (IPv4 tree, 24-bit records), Python 3 stdlib only.

Written from the MaxMind DB File Format Specification 2.0: a binary search tree over the
address bits, a 16-byte zero separator, a data section of typed values, then the marker
b"\\xab\\xcd\\xefMaxMind.com" and the metadata map. Enough for GeoLite2-style country and
ASN records: maps, UTF-8 strings, uint16/uint32/uint64 and arrays.
"""

import ipaddress
import struct

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"


def _control(type_number, size):
    """The control byte(s) of a field: type in the top 3 bits (extended types after it), size below."""
    out = bytearray()
    if size < 29:
        head, tail = size, b""
    elif size < 29 + 256:
        head, tail = 29, bytes([size - 29])
    elif size < 285 + 65536:
        head, tail = 30, struct.pack(">H", size - 285)
    else:
        head, tail = 31, struct.pack(">I", size - 65821)[1:]
    if type_number <= 7:
        out.append((type_number << 5) | head)
    else:
        out.append(head)
        out.append(type_number - 7)
    return bytes(out) + tail


def _unsigned(type_number, value):
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    return _control(type_number, len(raw)) + raw


class Uint16(int):
    pass


class Uint64(int):
    pass


def encode(value):
    """One value of the data section. Python ints are uint32 unless wrapped in Uint16/Uint64."""
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, bool):
        return _control(14, 1 if value else 0)
    if isinstance(value, Uint16):
        return _unsigned(5, int(value))
    if isinstance(value, Uint64):
        return _unsigned(9, int(value))
    if isinstance(value, int):
        return _unsigned(6, value)
    if isinstance(value, dict):
        out = bytearray(_control(7, len(value)))
        for k in sorted(value):
            out += encode(k) + encode(value[k])
        return bytes(out)
    if isinstance(value, (list, tuple)):
        out = bytearray(_control(11, len(value)))
        for v in value:
            out += encode(v)
        return bytes(out)
    raise TypeError(f"cannot encode {value!r}")


def write(path, networks, database_type, description, build_epoch):
    """networks: [(cidr, record dict)]; more specific networks may sit inside wider ones."""
    data = bytearray()
    offsets = {}
    # The tree: a node is [left, right]; a child is None (no data), ("data", offset) or a node.
    root = [None, None]
    for cidr, record in sorted(networks, key=lambda n: ipaddress.ip_network(n[0]).prefixlen):
        key = encode(record)
        if key not in offsets:
            offsets[key] = len(data)
            data += key
        net = ipaddress.ip_network(cidr)
        bits, node = int(net.network_address), root
        for depth in range(net.prefixlen):
            bit = (bits >> (31 - depth)) & 1
            if depth == net.prefixlen - 1:
                node[bit] = ("data", offsets[key])
                break
            child = node[bit]
            if not isinstance(child, list):
                # A wider network's data is pushed down into both halves.
                child = [child, child]
                node[bit] = child
            node = child
    nodes = []

    def number(node):
        nodes.append(node)
        for child in node:
            if isinstance(child, list):
                number(child)

    number(root)
    index = {id(n): i for i, n in enumerate(nodes)}
    count = len(nodes)

    def record(child):
        if child is None:
            return count
        if isinstance(child, list):
            return index[id(child)]
        return count + 16 + child[1]

    tree = bytearray()
    for node in nodes:
        for child in node:
            tree += record(child).to_bytes(3, "big")
    metadata = encode({
        "node_count": count,
        "record_size": Uint16(24),
        "ip_version": Uint16(4),
        "database_type": database_type,
        "languages": ["en"],
        "binary_format_major_version": Uint16(2),
        "binary_format_minor_version": Uint16(0),
        "build_epoch": Uint64(build_epoch),
        "description": {"en": description},
    })
    with open(path, "wb") as f:
        f.write(bytes(tree) + b"\0" * 16 + bytes(data) + METADATA_MARKER + metadata)
