#!/usr/bin/env python3
"""An independent BagIt 1.0 (RFC 8493) validator for kho's tests.

Unpacks every volume given (tar) into a temporary folder and checks each
top-level bag: complete (bagit.txt, bag-info.txt, a payload manifest, every
manifest entry present, every payload file in every payload manifest) and
valid (every checksum of every manifest and tag manifest recomputes,
Payload-Oxum matches).  Written from the RFC, sharing no code with kho.
Prints one line per bag and exits 1 on any problem.
"""
import hashlib
import os
import sys
import tarfile
import tempfile

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
    oxum = info.get("Payload-Oxum")
    if oxum:
        size = sum(os.path.getsize(os.path.join(bag, p)) for p in payload)
        if oxum != f"{size}.{len(payload)}":
            problems.append(f"Payload-Oxum {oxum} but payload is {size}.{len(payload)}")
    return problems


def main(volumes):
    bad = 0
    bags = 0
    for vol in volumes:
        with tempfile.TemporaryDirectory() as tmp:
            with tarfile.open(vol) as t:
                for member in t.getmembers():
                    if member.name.startswith("/") or ".." in member.name.split("/"):
                        print(f"{vol}: unsafe member name {member.name}")
                        return 1
                t.extractall(tmp)
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
        print("usage: bagit_validate.py VOLUME.tar...", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
