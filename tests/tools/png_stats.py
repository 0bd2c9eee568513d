#!/usr/bin/env python3
"""Decodes a PNG and prints what a test needs to know whether it is blank.

Usage: png_stats.py FILE.png
Prints one JSON object: width, height, colours (distinct pixel values),
dominant (the share of pixels with the most common value, 0..1) and
dark (the share of pixels whose darkest channel is below 128: text, lines).

Standard library only (zlib for the image data). Handles what Chromium
writes: 8-bit greyscale, RGB, grey+alpha and RGBA, not interlaced.
"""
import json
import struct
import sys
import zlib
from collections import Counter

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def fail(msg):
    sys.exit("png_stats: " + msg)


def chunks(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG")
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        yield kind, data[pos + 8 : pos + 8 + length]
        pos += 12 + length


def unfilter(raw, width, height, bpp):
    stride = width * bpp
    rows = []
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        ftype = raw[pos]
        line = bytearray(raw[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        if ftype == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif ftype == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:  # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        elif ftype != 0:
            fail(f"bad filter type {ftype}")
        rows.append(bytes(line))
        prev = line
    return rows


def main():
    if len(sys.argv) != 2:
        fail("usage: png_stats.py FILE.png")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    idat = []
    for kind, body in chunks(data):
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    if depth != 8 or ctype not in CHANNELS or interlace:
        fail(f"unsupported PNG: depth {depth}, colour type {ctype}, interlace {interlace}")
    bpp = CHANNELS[ctype]
    rows = unfilter(zlib.decompress(b"".join(idat)), width, height, bpp)
    counts = Counter()
    dark = 0
    colour_channels = min(bpp, 3) if ctype in (2, 6) else 1
    for row in rows:
        pixels = [row[i : i + bpp] for i in range(0, len(row), bpp)]
        counts.update(pixels)
        dark += sum(1 for p in pixels if min(p[:colour_channels]) < 128)
    total = width * height
    print(
        json.dumps(
            {
                "width": width,
                "height": height,
                "colours": len(counts),
                "dominant": counts.most_common(1)[0][1] / total,
                "dark": dark / total,
            }
        )
    )


if __name__ == "__main__":
    main()
