#!/usr/bin/env python3
"""Measurements for scripts/bench/compress.sh, one subcommand each.

  cer REF HYP              character error rate of HYP against REF (text
                           files), whitespace runs folded to one space
  conf TSV                 mean word confidence of a tesseract TSV output
  red PPM                  pixels that are clearly red (seal ink) in a PPM
  tiffstrips TIFF          bytes of the image data of a TIFF's first page
  pdfstreams PDF           bytes of every image stream of a PDF, by filter
"""
import re
import sys


def fold(text):
    return " ".join(text.split())


def levenshtein(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1,
                           prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(ref_path, hyp_path):
    ref = fold(open(ref_path, encoding="utf-8", errors="replace").read())
    hyp = fold(open(hyp_path, encoding="utf-8", errors="replace").read())
    if not ref:
        return 0.0 if not hyp else 1.0
    return levenshtein(ref, hyp) / len(ref)


def conf(tsv_path):
    vals = []
    for line in open(tsv_path, encoding="utf-8", errors="replace"):
        f = line.rstrip("\n").split("\t")
        if len(f) == 12 and f[0] == "5" and f[11].strip():
            try:
                c = float(f[10])
            except ValueError:
                continue
            if c >= 0:
                vals.append(c)
    return sum(vals) / len(vals) if vals else 0.0


def read_ppm(path):
    data = open(path, "rb").read()
    # P6 header: magic, width, height, maxval, each after whitespace
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m:
        raise SystemExit(f"{path}: not a binary PPM")
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end():m.end() + w * h * 3]


def red(path):
    w, h, px = read_ppm(path)
    n = 0
    for i in range(0, w * h * 3, 3):
        r, g, b = px[i], px[i + 1], px[i + 2]
        if r > 140 and r - g > 70 and r - b > 60:
            n += 1
    return n


def tiffstrips(path):
    data = open(path, "rb").read()
    le = data[:2] == b"II"
    o = "<" if le else ">"
    import struct
    ifd = struct.unpack(o + "I", data[4:8])[0]
    n = struct.unpack(o + "H", data[ifd:ifd + 2])[0]
    sizes = {1: 1, 3: 2, 4: 4}
    for k in range(n):
        e = data[ifd + 2 + 12 * k: ifd + 14 + 12 * k]
        tag, typ, cnt = struct.unpack(o + "HHI", e[:8])
        if tag != 279:
            continue
        size = sizes[typ]
        fmt = {1: "B", 2: "H", 4: "I"}[size]
        if cnt * size <= 4:
            vals = struct.unpack(o + fmt * cnt, e[8:8 + cnt * size])
        else:
            off = struct.unpack(o + "I", e[8:12])[0]
            vals = struct.unpack(o + fmt * cnt, data[off:off + cnt * size])
        return sum(vals)
    return 0


def pdfstreams(path):
    data = open(path, "rb").read()
    out = {}
    for m in re.finditer(rb"/Subtype /Image(.*?)/Length (\d+)", data, re.S):
        filt = re.search(rb"/Filter /(\w+)", m.group(1))
        name = filt.group(1).decode() if filt else "none"
        out[name] = out.get(name, 0) + int(m.group(2))
    return " ".join(f"{k}={v}" for k, v in sorted(out.items()))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "cer":
        print(f"{cer(*args):.4f}")
    elif cmd == "conf":
        print(f"{conf(*args):.1f}")
    elif cmd == "red":
        print(red(*args))
    elif cmd == "tiffstrips":
        print(tiffstrips(*args))
    elif cmd == "pdfstreams":
        print(pdfstreams(*args))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
