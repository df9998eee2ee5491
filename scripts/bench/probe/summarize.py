#!/usr/bin/python3
import json, sys, collections, statistics
rows = []
for g in sys.argv[1:]:
    rows += json.load(open(g + "/eval.json"))
print("pages:", len(rows))
print("kinds:", dict(collections.Counter(r["kind"] for r in rows)))
print("formats:", dict(collections.Counter(r["fmt"] for r in rows)))
print("dpi:", dict(collections.Counter(r["dpi"] for r in rows)))
print("rotations:", dict(collections.Counter(r["t_rot"] for r in rows)), "borders:", sum(1 for r in rows if r["border"]))
nb = [r for r in rows if not r["t_blank"] and "skew_err" in r]
errs = [abs(r["skew_err"]) for r in nb]
print("skew (non-blank, %d): mean |err| %.3f, median %.3f, worst %.3f, within 0.1: %d/%d" % (
    len(errs), statistics.mean(errs), statistics.median(errs), max(errs), sum(e <= 0.1 for e in errs), len(errs)))
for r in sorted(nb, key=lambda r: -abs(r["skew_err"]))[:8]:
    print("   ", r["record"], r["kind"], r["fmt"], r["dpi"], "truth", r["t_skew"], "kho", r["k_skew"], r["skew_source"], r["flags"])
rot = [r for r in nb]
print("orientation (non-blank): %d/%d correct" % (sum(r["rot_ok"] for r in rot), len(rot)))
for r in rot:
    if not r["rot_ok"]:
        print("   WRONG", r["record"], r["kind"], r["fmt"], "applied", r["t_rot"], "expected", r["exp_rot"], "kho", r["k_rot"], r["flags"])
print("crop: content cut")
for r in rows:
    if r.get("cut_mm"):
        print("   CUT", r["record"], r["kind"], r["cut_mm"], r["cut_what"], "rot_ok", r["rot_ok"])
print("crop: bed left inside (mm max, share of side)")
for r in rows:
    if r.get("bed_in_crop"):
        print("   BED", r["record"], r["kind"], r["border"], r["bed_in_crop"], r["flags"])
print("mode table (expected class -> kho mode):")
tab = collections.Counter((r["cls"], r.get("mode")) for r in rows)
for k, v in sorted(tab.items()):
    print("   %-12s -> %-8s %d" % (k[0], k[1], v))
for r in rows:
    if r.get("mode_verdict") not in ("ok", None):
        print("   MODE", r["mode_verdict"], r["record"], r["kind"], r["fmt"], r["mode"], "|", r["mode_reason"])
print("blank flag (wanted, kho; wanted None: white holes, either):", dict(collections.Counter((r.get("want_blank", r["t_blank"]), r.get("k_blank")) for r in rows)))
for r in rows:
    if not r.get("blank_ok", True):
        print("   BLANK", r["record"], r["kind"], r["fmt"], r["dpi"], "wanted", r.get("want_blank", r["t_blank"]), "kho", r["k_blank"], "score", r["bscore"], r["flags"], r["mode_reason"])
print("rendered:")
for r in rows:
    probs = []
    if r.get("render_upright") is False: probs.append("not upright by image match (cor %s)" % r["render_cor"])
    o = r.get("osd")
    if o and o[0] != 0 and o[1] > 2: probs.append("tesseract OSD says rotate %d (conf %.1f)" % tuple(o))
    rs = r.get("render_skew")
    if rs and abs(rs[0]) > 0.15 and rs[1] > 1.3 and not r["t_blank"]: probs.append("residual skew %.2f (peak %.2f)" % tuple(rs))
    ed = r.get("edge_dark", {})
    dark = {k: v for k, v in ed.items() if v > 0.05}
    if dark: probs.append("dark edge bands %s" % dark)
    if probs: print("   R", r["record"], r["kind"], "; ".join(probs))
rs = [abs(r["render_skew"][0]) for r in rows if r.get("render_skew") and r["render_skew"][1] > 1.3 and not r["t_blank"]]
print("render residual skew (pages with a clear profile, %d): mean %.3f, worst %.3f" % (len(rs), statistics.mean(rs), max(rs)))
