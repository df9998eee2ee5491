#!/usr/bin/env python3
"""Writes a binary PBM (P4) as an 8-bit grey PNG, with Python's standard
library alone: kho reads no PBM, and some of ../shared/realdata's real
pages (unpaper's golden images) are stored that way.

usage: pbm_to_png.py IN.pbm OUT.png
"""
import struct
import sys
import zlib


def read_pbm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 3:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P4":
        sys.exit(f"{path}: not a binary PBM (P4)")
    width, height = int(fields[1]), int(fields[2])
    pos += 1  # the one whitespace byte before the raster
    row_bytes = (width + 7) // 8
    raster = data[pos:pos + row_bytes * height]
    if len(raster) != row_bytes * height:
        sys.exit(f"{path}: the raster is cut short")
    return width, height, row_bytes, raster


def chunk(kind, body):
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    width, height, row_bytes, raster = read_pbm(sys.argv[1])
    # PBM: 1 is black.  Each row: PNG's filter byte (none), then a byte
    # per pixel.
    lines = bytearray()
    for y in range(height):
        row = raster[y * row_bytes:(y + 1) * row_bytes]
        lines.append(0)
        lines.extend(0 if row[x >> 3] >> (7 - (x & 7)) & 1 else 255
                     for x in range(width))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    with open(sys.argv[2], "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", header))
        f.write(chunk(b"IDAT", zlib.compress(bytes(lines), 6)))
        f.write(chunk(b"IEND", b""))


if __name__ == "__main__":
    main()
