#!/usr/bin/python3
"""compare kho plans and rendered PDFs against gen.py truth.
usage: eval.py GENDIR ROOT  -> GENDIR/eval.json, prints a table"""
import sys, os, json, math, sqlite3, subprocess, glob, re
import numpy as np
from PIL import Image, ImageFilter

gen, root = sys.argv[1], sys.argv[2]
MM = 25.4

def R(s):
    c, n = math.cos(math.radians(s)), math.sin(math.radians(s))
    return np.array([[c, -n], [n, c]])

def file_to_kho(q, W, H, k, skew):
    q = np.asarray(q, float)
    if k == 90: q = np.stack([H - q[:, 1], q[:, 0]], 1); Wk, Hk = H, W
    elif k == 180: q = np.stack([W - q[:, 0], H - q[:, 1]], 1); Wk, Hk = W, H
    elif k == 270: q = np.stack([q[:, 1], W - q[:, 0]], 1); Wk, Hk = H, W
    else: Wk, Hk = W, H
    c = np.array([Wk / 2, Hk / 2])
    return (q - c) @ R(-skew).T + c, Wk, Hk

def kho_to_file(q, W, H, k, skew):
    q = np.asarray(q, float)
    Wk, Hk = (H, W) if k in (90, 270) else (W, H)
    c = np.array([Wk / 2, Hk / 2])
    q = (q - c) @ R(skew).T + c
    if k == 90: q = np.stack([q[:, 1], H - q[:, 0]], 1)
    elif k == 180: q = np.stack([W - q[:, 0], H - q[:, 1]], 1)
    elif k == 270: q = np.stack([W - q[:, 1], q[:, 0]], 1)
    return q

def paper_to_file(m, pts):
    pc = np.array(m["pc"]); T = np.array(m["T"]); Wc, Hc = m["Wc"], m["Hc"]; rot = m["rotation"]
    q = (np.asarray(pts, float) - pc) @ R(m["skew"]).T + T
    if rot == 90: q = np.stack([Hc - q[:, 1], q[:, 0]], 1)
    elif rot == 180: q = np.stack([Wc - q[:, 0], Hc - q[:, 1]], 1)
    elif rot == 270: q = np.stack([q[:, 1], Wc - q[:, 0]], 1)
    return q

def inside_poly(pts, poly):
    # convex polygon, any winding
    res = np.ones(len(pts), bool)
    n = len(poly)
    sgn = None
    cross_all = []
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        cr = (b[0] - a[0]) * (pts[:, 1] - a[1]) - (b[1] - a[1]) * (pts[:, 0] - a[0])
        cross_all.append(cr)
    C = np.array(cross_all)
    return np.all(C >= 0, 0) | np.all(C <= 0, 0)

def dist_to_poly(pts, poly):
    d = np.full(len(pts), np.inf)
    n = len(poly)
    for i in range(n):
        a, b = np.array(poly[i]), np.array(poly[(i + 1) % n])
        ab = b - a
        t = np.clip(((pts - a) @ ab) / (ab @ ab), 0, 1)
        pr = a + t[:, None] * ab
        d = np.minimum(d, np.hypot(*(pts - pr).T))
    return d

con = sqlite3.connect(os.path.join(root, "catalog.db"))
rows = con.execute("""select r.record_id, p.page_no, p.width, p.height, pl.rotation, pl.skew, pl.skew_confidence,
  pl.crop_x, pl.crop_y, pl.crop_w, pl.crop_h, pl.mode, pl.dpi, pl.blank, pl.blank_score, pl.flags, pl.measurements
  from plans pl join pages p on p.id = pl.page join records r on r.id = p.record where r.current = 1""").fetchall()
plans = {r[0]: r for r in rows}
out = []
for mf in sorted(glob.glob(os.path.join(gen, "meta", "*.json"))):
    m = json.load(open(mf))
    rec = m["record"]
    res = dict(record=rec, kind=m["kind"], cls=m["cls"], fmt=m["fmt"], dpi=m["dpi"], size=m["size"], land=m["land"],
               t_skew=m["skew"], t_rot=m["rotation"], border=m["border"], expect_mode=m["expect_mode"], t_blank=m["blank"],
               file=os.path.join(gen, "inbox", m["file"]))
    if rec not in plans:
        res["missing"] = True; out.append(res); continue
    pr = plans[rec]
    (_, _, W, H, k, skew, conf, cx, cy, cw, ch, mode, odpi, blank, bscore, flags, meas) = pr
    M = json.loads(meas)
    res.update(k_rot=k, k_skew=round(skew, 3), k_conf=conf, crop=[cx, cy, cw, ch], mode=mode, k_blank=blank,
               bscore=bscore, flags=flags, mode_reason=M.get("mode_reason"), skew_source=M.get("skew_source"),
               out_dpi=odpi, W=W, H=H)
    if (W, H) != (m["FW"], m["FH"]):
        res["dims_mismatch"] = [W, H, m["FW"], m["FH"]]
    exp_rot = (360 - m["rotation"]) % 360
    res["exp_rot"] = exp_rot
    res["rot_ok"] = (k == exp_rot)
    res["skew_err"] = round(skew - m["skew"], 3)
    s = m["dpi"] / MM
    # content cut
    crop = np.array([cx, cy, cx + cw, cy + ch], float)
    cut = {"t": 0.0, "l": 0.0, "b": 0.0, "r": 0.0}
    what = {}
    for e in m["elems"]:
        pts = paper_to_file(m, [[e[1], e[2]], [e[3], e[2]], [e[3], e[4]], [e[1], e[4]]])
        q, Wk, Hk = file_to_kho(pts, W, H, k, skew)
        ov = {"l": crop[0] - q[:, 0].min(), "t": crop[1] - q[:, 1].min(), "r": q[:, 0].max() - crop[2], "b": q[:, 1].max() - crop[3]}
        for sd, v in ov.items():
            if v / s > cut[sd]:
                cut[sd] = v / s; what[sd] = e[0]
    res["cut_mm"] = {sd: round(v, 2) for sd, v in cut.items() if v > 0.3}
    res["cut_what"] = {sd: what[sd] for sd in res["cut_mm"]}
    # bed inside crop: sample crop boundary, map back to the file, outside paper & inside file -> bed (if border) / lid
    paper_file = paper_to_file(m, [[0, 0], [m["Wp"], 0], [m["Wp"], m["Hp"]], [0, m["Hp"]]])
    bedin, trim = {}, {}
    nsamp = 400
    for sd in "tlbr":
        if sd in "tb":
            yv = crop[1] + 0.5 if sd == "t" else crop[3] - 0.5
            pts = np.stack([np.linspace(crop[0], crop[2], nsamp), np.full(nsamp, yv)], 1)
        else:
            xv = crop[0] + 0.5 if sd == "l" else crop[2] - 0.5
            pts = np.stack([np.full(nsamp, xv), np.linspace(crop[1], crop[3], nsamp)], 1)
        fp = kho_to_file(pts, W, H, k, skew)
        inside = inside_poly(fp, paper_file)
        infile = (fp[:, 0] >= 0) & (fp[:, 0] < W) & (fp[:, 1] >= 0) & (fp[:, 1] < H)
        outp = (~inside) & infile
        if outp.any():
            d = dist_to_poly(fp[outp], paper_file) / s
            if d.max() > 0.5:
                bedin[sd] = (round(float(d.max()), 2), round(float(outp.mean()), 2))
        if inside.any():
            d = dist_to_poly(fp[inside], paper_file) / s
            trim[sd] = round(float(np.median(d)), 1)
    res["bed_in_crop"] = bedin if m["border"] else {}
    res["lid_in_crop"] = bedin if not m["border"] else {}
    res["paper_trim_mm"] = trim
    # mode
    em = m["expect_mode"]
    if em == "any": res["mode_verdict"] = "ok"
    elif mode in em.split("|"): res["mode_verdict"] = "ok"
    elif m["cls"] in ("photo", "colourphoto", "pencil") and mode == "bitonal": res["mode_verdict"] = "SERIOUS"
    elif m["cls"] in ("colourseal", "colourstamp") and mode in ("bitonal", "grey"): res["mode_verdict"] = "colour lost"
    elif m["cls"] == "colourphoto" and mode == "grey": res["mode_verdict"] = "colour lost"
    elif m["cls"] == "text": res["mode_verdict"] = "minor"
    else: res["mode_verdict"] = "other"
    # The flag wanted (issue 3): a sheet with nothing on it is blank; one
    # with punch holes or bleed-through is not.  White holes show only
    # where the scan keeps their few levels over the paper (not in G4,
    # not over a lid as light as the paper): either flag is taken.
    holes = m.get("extra", {}).get("holes")
    if m["kind"] == "blank_plain" or not m["blank"]:
        want = m["blank"]
    elif m["kind"] == "blank_holes" and holes == "white":
        want = None
    else:
        want = 0
    res["want_blank"] = want
    res["blank_ok"] = want is None or blank == want
    out.append(res)

# ---- rendered pages
con2 = con
def result_pdf(rec):
    o = subprocess.run([os.environ.get("KHO", "kho"), "show", "--root", root, rec], capture_output=True, text=True).stdout
    mm_ = re.findall(r"(\S*store\S*)", o)
    for line in o.splitlines():
        mm2 = re.search(r"result.pdf\s.*sha256 ([0-9a-f]{64})", line)
        if mm2:
            h = mm2.group(1)
            p = os.path.join(root, "store", h[:2], h)
            if os.path.exists(p): return p, o
    return None, o

def proj_skew(a):
    ink = (a < 128)
    ys, xs = np.nonzero(ink)
    if len(ys) < 500: return None
    cx, cy = a.shape[1] / 2, a.shape[0] / 2
    best, ba = -1, None
    scores = []
    for ang in np.arange(-2, 2.0001, 0.02):
        t = math.radians(ang)
        yr = (ys - cy) * math.cos(t) - (xs - cx) * math.sin(t)
        h = np.bincount((yr - yr.min()).astype(int))
        v = (h.astype(float) ** 2).sum()
        scores.append(v)
        if v > best: best, ba = v, ang
    sc = np.array(scores)
    return ba, float(sc.max() / np.median(sc))

rdir = os.path.join(gen, "render"); os.makedirs(rdir, exist_ok=True)
for res in out:
    if res.get("missing"): continue
    pdf, show = result_pdf(res["record"])
    open(os.path.join(rdir, res["record"] + ".show.txt"), "w").write(show)
    if not pdf:
        res["render"] = "no result.pdf"; continue
    res["pdf"] = pdf
    base = os.path.join(rdir, res["record"])
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", pdf, base], check=True)
    pngs = sorted(glob.glob(base + "*.png"))
    im = Image.open(pngs[0]).convert("L")
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    ps = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
    res["pdf_mm"] = [round(float(ps.group(1)) / 72 * 25.4, 1), round(float(ps.group(2)) / 72 * 25.4, 1)]
    a = np.asarray(im).astype(np.float32)
    th = np.asarray(Image.open(os.path.join(gen, "thumb", res["record"] + ".png")).convert("L")).astype(np.float32)
    # orientation by correlation with the clean upright thumbnail
    # cut the render to the paper as kho's geometry places it (so the no-border canvas does not dilute the match)
    mj = json.load(open(os.path.join(gen, "meta", res["record"] + ".json")))
    pf = paper_to_file(mj, [[0, 0], [mj["Wp"], 0], [mj["Wp"], mj["Hp"]], [0, mj["Hp"]]])
    qk, _, _ = file_to_kho(pf, res["W"], res["H"], res["k_rot"], res["k_skew"])
    sc = a.shape[1] / res["crop"][2]
    x0 = int(max(0, (qk[:, 0].min() - res["crop"][0]) * sc)); x1 = int(min(a.shape[1], (qk[:, 0].max() - res["crop"][0]) * sc))
    y0 = int(max(0, (qk[:, 1].min() - res["crop"][1]) * sc)); y1 = int(min(a.shape[0], (qk[:, 1].max() - res["crop"][1]) * sc))
    ap = a[y0:y1, x0:x1] if (x1 - x0 > 50 and y1 - y0 > 50) else a
    cors = {}
    for r_ in (0, 90, 180, 270):
        b = np.rot90(ap, k=-r_ // 90)  # rotate clockwise r_
        bi = np.asarray(Image.fromarray(b.astype(np.uint8)).resize((th.shape[1], th.shape[0]), Image.BILINEAR)).astype(np.float32)
        x = 255 - np.asarray(Image.fromarray(bi.astype(np.uint8)).filter(ImageFilter.GaussianBlur(3))).astype(np.float32)
        y = 255 - np.asarray(Image.fromarray(th.astype(np.uint8)).filter(ImageFilter.GaussianBlur(3))).astype(np.float32)
        x -= x.mean(); y -= y.mean()
        cors[r_] = float((x * y).sum() / (np.sqrt((x * x).sum() * (y * y).sum()) + 1e-9))
    res["render_cor"] = {k_: round(v, 3) for k_, v in cors.items()}
    res["render_upright"] = max(cors, key=cors.get) == 0 if not res["t_blank"] else None
    if not res["t_blank"]:
        osd = subprocess.run(["tesseract", pngs[0], "-", "--psm", "0"], capture_output=True, text=True).stdout
        mo = re.search(r"Rotate: (\d+)", osd); mc = re.search(r"Orientation confidence: ([\d.]+)", osd)
        res["osd"] = (int(mo.group(1)), float(mc.group(1))) if mo else None
    # residual skew (only where there is ink)
    ps_ = proj_skew(a)
    res["render_skew"] = ps_
    # dark bands along edges (3 mm = 12 px at 100 dpi)
    bands = {}
    e = 12
    for sd, sl in (("t", a[:e, :]), ("b", a[-e:, :]), ("l", a[:, :e]), ("r", a[:, -e:])):
        bands[sd] = round(float((sl < 90).mean()), 3)
    res["edge_dark"] = bands
for res in out:
    print(json.dumps(res))
json.dump(out, open(os.path.join(gen, "eval.json"), "w"), indent=1)
