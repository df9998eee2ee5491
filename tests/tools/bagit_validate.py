#!/usr/bin/env python3
"""An independent BagIt 1.0 (RFC 8493) validator for kho's tests.

Unpacks every volume given (tar or zip, by content) into a temporary folder
and checks each
top-level bag: complete (bagit.txt, bag-info.txt, a payload manifest, every
manifest entry present, every payload file in every payload manifest) and
valid (every checksum of every manifest and tag manifest recomputes,
Payload-Oxum matches).  Written from the RFC, sharing no code with kho.
Prints one line per bag and exits 1 on any problem.
"""
import hashlib
import os
import re
import sys
import tarfile
import tempfile
import zipfile

ALGS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512,
        "sha1": hashlib.sha1, "md5": hashlib.md5}


def digest(path, alg):
    h = ALGS[alg]()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(path):
    entries = {}
    with open(path, "r", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            checksum, sep, name = line.partition(" ")
            name = name.lstrip(" ")
            if not sep or not name:
                raise ValueError(f"{path}:{n}: bad manifest line")
            name = name.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
            entries[name] = checksum.lower()
    return entries


def check_bag(bag):
    problems = []
    bagit = os.path.join(bag, "bagit.txt")
    if not os.path.isfile(bagit):
        return ["missing bagit.txt"]
    lines = open(bagit, encoding="utf-8").read().splitlines()
    if lines[:1] != ["BagIt-Version: 1.0"] or \
            lines[1:2] != ["Tag-File-Character-Encoding: UTF-8"]:
        problems.append(f"bagit.txt is not BagIt 1.0 UTF-8: {lines!r}")
    if not os.path.isdir(os.path.join(bag, "data")):
        problems.append("missing data/")
    payload_manifests = [f for f in os.listdir(bag)
                         if f.startswith("manifest-") and f.endswith(".txt")]
    if not payload_manifests:
        problems.append("no payload manifest")
    payload = set()
    for root, _, files in os.walk(os.path.join(bag, "data")):
        for f in files:
            payload.add(os.path.relpath(os.path.join(root, f), bag))
    for m in payload_manifests:
        alg = m[len("manifest-"):-4]
        if alg not in ALGS:
            problems.append(f"unknown algorithm {alg}")
            continue
        entries = read_manifest(os.path.join(bag, m))
        for name in sorted(payload - set(entries)):
            problems.append(f"{name} is not in {m}")
        for name, checksum in sorted(entries.items()):
            p = os.path.join(bag, name)
            if not name.startswith("data/") or ".." in name.split("/"):
                problems.append(f"{m} names {name} outside data/")
            elif not os.path.isfile(p):
                problems.append(f"{m} names missing {name}")
            elif digest(p, alg) != checksum:
                problems.append(f"{name}: {alg} does not match")
    for m in [f for f in os.listdir(bag) if f.startswith("tagmanifest-")]:
        alg = m[len("tagmanifest-"):-4]
        for name, checksum in read_manifest(os.path.join(bag, m)).items():
            p = os.path.join(bag, name)
            if not os.path.isfile(p):
                problems.append(f"{m} names missing {name}")
            elif digest(p, alg) != checksum:
                problems.append(f"{name}: {alg} does not match ({m})")
    info = {}
    info_path = os.path.join(bag, "bag-info.txt")
    if os.path.isfile(info_path):
        for line in open(info_path, encoding="utf-8").read().splitlines():
            if ":" in line and not line[:1].isspace():
                k, v = line.split(":", 1)
                info[k.strip()] = v.strip()
    # What kho's bags promise (issue 5), beyond what RFC 8493 requires.
    for field in ("Source-Organization", "Bagging-Date", "Payload-Oxum",
                  "External-Identifier", "Bag-Size"):
        if not info.get(field):
            problems.append(f"bag-info.txt has no {field}")
    if info.get("Bagging-Date") and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", info["Bagging-Date"]):
        problems.append(f"Bagging-Date {info['Bagging-Date']!r} is not YYYY-MM-DD")
    for m in ("manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt"):
        if not os.path.isfile(os.path.join(bag, m)):
            problems.append(f"missing {m}")
    tags = {f for f in os.listdir(bag) if os.path.isfile(os.path.join(bag, f))
            and not f.startswith("tagmanifest-")}
    for m in [f for f in os.listdir(bag) if f.startswith("tagmanifest-")]:
        listed = set(read_manifest(os.path.join(bag, m)))
        for name in sorted(tags - listed):
            problems.append(f"{name} is not in {m}")
    oxum = info.get("Payload-Oxum")
    if oxum:
        size = sum(os.path.getsize(os.path.join(bag, p)) for p in payload)
        if oxum != f"{size}.{len(payload)}":
            problems.append(f"Payload-Oxum {oxum} but payload is {size}.{len(payload)}")
    return problems


def safe(name):
    return not name.startswith("/") and ".." not in name.split("/")


def unpack(vol, tmp):
    """Unpacks a tar or zip volume; False when a member name is unsafe."""
    if zipfile.is_zipfile(vol):
        with zipfile.ZipFile(vol) as z:
            for info in z.infolist():
                if not safe(info.filename):
                    print(f"{vol}: unsafe member name {info.filename}")
                    return False
                if info.compress_type != zipfile.ZIP_STORED:
                    print(f"{vol}: {info.filename} is compressed")
                    return False
            bad = z.testzip()
            if bad:
                print(f"{vol}: {bad} fails its CRC-32")
                return False
            z.extractall(tmp)
        return True
    with tarfile.open(vol) as t:
        for member in t.getmembers():
            if not safe(member.name):
                print(f"{vol}: unsafe member name {member.name}")
                return False
        t.extractall(tmp)
    return True


def main(volumes):
    bad = 0
    bags = 0
    for vol in volumes:
        with tempfile.TemporaryDirectory() as tmp:
            if not unpack(vol, tmp):
                return 1
            for bag in sorted(os.listdir(tmp)):
                bags += 1
                problems = check_bag(os.path.join(tmp, bag))
                status = "valid" if not problems else "INVALID"
                print(f"{os.path.basename(vol)}: {bag}: {status}")
                for p in problems:
                    print(f"  {p}")
                bad += bool(problems)
    print(f"{bags} bag(s), {bad} invalid")
    return 1 if bad or bags == 0 else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: bagit_validate.py VOLUME.tar|VOLUME.zip...", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
