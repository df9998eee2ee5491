#!/usr/bin/python3
"""Independent generator of realistic administrative scans with truth.

usage: gen.py OUTDIR SEED [N]
writes OUTDIR/inbox/<record>.<ext>, OUTDIR/truth.csv, OUTDIR/meta/<record>.json,
OUTDIR/thumb/<record>.png (upright clean paper, grey, 100 dpi)

Conventions (truth):
  skew_deg  : degrees the paper+content is turned CLOCKWISE (visually) in the scan
  rotation  : quarter turn applied CLOCKWISE to the whole (deskew-free) scan after
              the paper was placed; kho should answer (360-rotation)%360
  paper_*   : bounding box of the paper in the final file's pixels; paper corners too
  content_* : union of all ink, in upright paper pixels (x0,y0,x1,y1)
"""
import sys, os, json, math, random, csv
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageFilter, ImageChops

FONTDIR = "/usr/share/fonts/truetype/liberation2/"
FONTS = {k: FONTDIR + v for k, v in {
    "sans": "LiberationSans-Regular.ttf", "sansb": "LiberationSans-Bold.ttf",
    "serif": "LiberationSerif-Regular.ttf", "serifb": "LiberationSerif-Bold.ttf",
    "mono": "LiberationMono-Regular.ttf", "seriti": "LiberationSerif-Italic.ttf"}.items()}
WORDS = ("the of certificate office registry result number date issued holder "
         "department province district commune administrative record birth "
         "marriage residence address signature director approved according "
         "decision article clause regulation pursuant citizen name father mother "
         "nationality ethnic religion permanent temporary issued valid until "
         "annex copy original verified seal stamp clerk chairman committee people "
         "Ha Noi Hue Da Nang land use right plot area square metres owner "
         "transfer contract notary fee paid receipt amount total").split()

_fc = {}
def font(name, px):
    k = (name, int(px))
    if k not in _fc:
        _fc[k] = ImageFont.truetype(FONTS[name], max(6, int(px)))
    return _fc[k]

def sentence(rng, n):
    w = [rng.choice(WORDS) for _ in range(n)]
    w[0] = w[0].capitalize()
    return " ".join(w)

class Page:
    def __init__(self, rng, wmm, hmm, dpi, tint):
        self.rng, self.dpi = rng, dpi
        self.s = dpi / 25.4
        self.W, self.H = int(round(wmm * self.s)), int(round(hmm * self.s))
        self.wmm, self.hmm = wmm, hmm
        self.tint = tint
        self.img = Image.new("RGB", (self.W, self.H), tint)
        self.d = ImageDraw.Draw(self.img)
        self.elems = []   # [kind, x0,y0,x1,y1] in paper px
        self.colour_layers = []

    def mm(self, v): return v * self.s
    def add(self, kind, box):
        x0, y0, x1, y1 = [float(v) for v in box]
        self.elems.append([kind, x0, y0, x1, y1])

    def text(self, xmm, ymm, s, fname="serif", pt=11, fill=(25, 25, 25), anchor="la", d=None):
        f = font(fname, pt * self.dpi / 72.0)
        d = d or self.d
        x, y = self.mm(xmm), self.mm(ymm)
        box = d.textbbox((x, y), s, font=f, anchor=anchor)
        d.text((x, y), s, font=f, fill=fill, anchor=anchor)
        self.add("text", box)
        return box

    def para(self, xmm, ymm, wmm, nlines, pt=11, lead=1.5, fname="serif", fill=(25, 25, 25), last_short=True):
        rng = self.rng
        f = font(fname, pt * self.dpi / 72.0)
        lh = pt * 0.3528 * lead
        y = ymm
        for i in range(nlines):
            # fill up to width
            words = []
            while True:
                cand = " ".join(words + [rng.choice(WORDS)])
                if self.d.textlength(cand, font=f) > self.mm(wmm):
                    break
                words = cand.split(" ")
            if i == nlines - 1 and last_short:
                words = words[:max(2, len(words) * rng.randint(3, 8) // 10)]
            words[0] = words[0].capitalize()
            self.text(xmm, y, " ".join(words), fname, pt, fill)
            y += lh
        return y

    def rect(self, x0, y0, x1, y1, width_mm=0.3, fill=(20, 20, 20)):
        w = max(1, int(round(self.mm(width_mm))))
        b = [self.mm(x0), self.mm(y0), self.mm(x1), self.mm(y1)]
        self.d.rectangle(b, outline=fill, width=w)
        self.add("rule", b)

    def line(self, x0, y0, x1, y1, width_mm=0.25, fill=(20, 20, 20)):
        w = max(1, int(round(self.mm(width_mm))))
        b = [self.mm(x0), self.mm(y0), self.mm(x1), self.mm(y1)]
        self.d.line(b, fill=fill, width=w)
        self.add("rule", [min(b[0], b[2]) - w / 2, min(b[1], b[3]) - w / 2, max(b[0], b[2]) + w / 2, max(b[1], b[3]) + w / 2])

    def table(self, x0, y0, x1, y1, rows, cols, pt=9, width_mm=0.3, header=True):
        rng = self.rng
        self.rect(x0, y0, x1, y1, width_mm * 1.5)
        rh = (y1 - y0) / rows
        cw = [rng.uniform(0.6, 1.6) for _ in range(cols)]
        t = sum(cw); cw = [c / t * (x1 - x0) for c in cw]
        xs = [x0]
        for c in cw: xs.append(xs[-1] + c)
        for r in range(1, rows):
            self.line(x0, y0 + r * rh, x1, y0 + r * rh, width_mm)
        for c in xs[1:-1]:
            self.line(c, y0, c, y1, width_mm)
        for r in range(rows):
            for c in range(cols):
                if rng.random() < 0.8:
                    maxw = xs[c + 1] - xs[c] - 3
                    s = sentence(rng, rng.randint(1, 3)) if not (r == 0 and header) else rng.choice(WORDS).upper()
                    f = font("sansb" if (r == 0 and header) else "sans", pt * self.dpi / 72.0)
                    while len(s) > 1 and self.d.textlength(s, font=f) > self.mm(maxw):
                        s = s[:-1]
                    self.text(xs[c] + 1.5, y0 + r * rh + rh / 2, s, "sansb" if (r == 0 and header) else "sans", pt, anchor="lm")

    def layer(self):
        """separate white layer to be multiplied (ink over ink)"""
        L = Image.new("RGB", (self.W, self.H), (255, 255, 255))
        self.colour_layers.append(L)
        return L, ImageDraw.Draw(L)

    def seal(self, cxmm, cymm, rmm=19, col=(200, 35, 45)):
        L, d = self.layer()
        cx, cy, r = self.mm(cxmm), self.mm(cymm), self.mm(rmm)
        w = int(self.mm(0.9))
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=col, width=w)
        r2 = r - self.mm(4.5)
        d.ellipse([cx - r2, cy - r2, cx + r2, cy + r2], outline=col, width=max(1, w // 2))
        # letters around the ring
        f = font("sansb", self.mm(3.2))
        txt = "PEOPLE'S COMMITTEE * DISTRICT OFFICE * "
        n = len(txt)
        for i, ch in enumerate(txt):
            a = 2 * math.pi * i / n - math.pi / 2
            rr = r - self.mm(2.3)
            im = Image.new("L", (int(self.mm(5)), int(self.mm(5))), 0)
            ImageDraw.Draw(im).text((im.width / 2, im.height / 2), ch, font=f, fill=255, anchor="mm")
            im = im.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
            px, py = cx + rr * math.cos(a) - im.width / 2, cy + rr * math.sin(a) - im.height / 2
            L.paste(Image.new("RGB", im.size, col), (int(px), int(py)), im)
        # star
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            rr = self.mm(6) if k % 2 == 0 else self.mm(2.4)
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        d.polygon(pts, fill=col)
        self.add("seal", [cx - r - w, cy - r - w, cx + r + w, cy + r + w])

    def signature(self, xmm, ymm, wmm=45, hmm=14, col=(30, 45, 150)):
        rng = self.rng
        L, d = self.layer()
        n = 400
        t = np.linspace(0, 1, n)
        x = xmm + wmm * t
        y = ymm + hmm / 2
        for k in range(1, 5):
            y = y + (hmm / (2 * k)) * np.sin(2 * math.pi * (k * rng.uniform(1.5, 4)) * t + rng.uniform(0, 6))
        x = x + 3 * np.sin(2 * math.pi * rng.uniform(5, 9) * t)
        pts = [(self.mm(a), self.mm(b)) for a, b in zip(x, y)]
        d.line(pts, fill=col, width=max(2, int(self.mm(0.45))), joint="curve")
        # underline flourish
        d.line([(self.mm(xmm), self.mm(ymm + hmm * 0.95)), (self.mm(xmm + wmm * 0.9), self.mm(ymm + hmm * 0.85))],
               fill=col, width=max(2, int(self.mm(0.4))))
        xs = [p[0] for p in pts] + [self.mm(xmm)]
        ys = [p[1] for p in pts] + [self.mm(ymm + hmm * 0.95)]
        self.add("signature", [min(xs) - 3, min(ys) - 3, max(xs) + 3, max(ys) + 3])

    def stamp(self, xmm, ymm, wmm, hmm, col):
        L, d = self.layer()
        b = [self.mm(xmm), self.mm(ymm), self.mm(xmm + wmm), self.mm(ymm + hmm)]
        d.rectangle(b, outline=col, width=int(self.mm(0.7)))
        f = font("sansb", self.mm(3.5))
        d.text((b[0] + self.mm(2), b[1] + self.mm(2)), "RECEIVED", font=f, fill=col)
        d.text((b[0] + self.mm(2), b[1] + self.mm(7.5)), "No. %04d" % self.rng.randint(1, 9999), font=f, fill=col)
        d.text((b[0] + self.mm(2), b[1] + self.mm(13)), "%02d/%02d/2023" % (self.rng.randint(1, 28), self.rng.randint(1, 12)), font=f, fill=col)
        self.add("stamp", b)

    def photo_grey(self, xmm, ymm, wmm=30, hmm=40):
        rng = self.rng
        w, h = int(self.mm(wmm)), int(self.mm(hmm))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        bg = 150 + 60 * (yy / h) + rng.uniform(-20, 20)
        face = ((xx - w / 2) / (w * 0.28)) ** 2 + ((yy - h * 0.4) / (h * 0.26)) ** 2
        img = np.where(face < 1, 175 - 50 * face - 25 * (xx / w), bg)
        sh = ((xx - w / 2) / (w * 0.55)) ** 2 + ((yy - h * 1.05) / (h * 0.4)) ** 2
        img = np.where(sh < 1, 55 + 30 * sh, img)
        hair = ((xx - w / 2) / (w * 0.3)) ** 2 + ((yy - h * 0.25) / (h * 0.17)) ** 2
        img = np.where((hair < 1) & (yy < h * 0.3), 40 + 20 * hair, img)
        im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(self.mm(0.5)))
        a = np.asarray(im).astype(np.float32) + rng_np(rng).normal(0, 6, (h, w))
        im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).convert("RGB")
        x, y = int(self.mm(xmm)), int(self.mm(ymm))
        self.img.paste(im, (x, y))
        self.add("photo", [x, y, x + w, y + h])

    def photo_colour(self, xmm, ymm, wmm, hmm):
        rng = self.rng
        w, h = int(self.mm(wmm)), int(self.mm(hmm))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        img = np.zeros((h, w, 3), np.float32)
        img[..., 0] = 90 + 80 * yy / h; img[..., 1] = 140 + 60 * yy / h; img[..., 2] = 230 - 30 * yy / h
        hill = h * (0.55 + 0.1 * np.sin(xx / w * 6 + rng.uniform(0, 6)))
        m = yy > hill
        img[m] = np.stack([40 + 60 * yy / h, 110 + 50 * xx / w, 40 + 0 * xx], -1)[m]
        for _ in range(8):
            cx, cy, r = rng.uniform(0, w), rng.uniform(h * 0.4, h), rng.uniform(w * 0.03, w * 0.12)
            c = [rng.uniform(20, 240) for _ in range(3)]
            mm_ = ((xx - cx) ** 2 + (yy - cy) ** 2) < r * r
            img[mm_] = c
        sx, sy = rng.uniform(w * 0.6, w * 0.9), h * 0.2
        img[((xx - sx) ** 2 + (yy - sy) ** 2) < (w * 0.06) ** 2] = (250, 220, 80)
        im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(self.mm(0.4)))
        a = np.asarray(im).astype(np.float32) + rng_np(rng).normal(0, 8, (h, w, 3))
        im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
        x, y = int(self.mm(xmm)), int(self.mm(ymm))
        self.img.paste(im, (x, y))
        self.add("photo", [x, y, x + w, y + h])

    def pencil(self, xmm, ymm, wmm, nlines, level):
        rng = self.rng
        col = (level, level, level)
        wpx = max(1, int(self.mm(0.28)))
        y = ymm
        for i in range(nlines):
            x = xmm + rng.uniform(0, 8)
            xend = xmm + wmm * rng.uniform(0.6, 1.0)
            ys = []
            while x < xend:
                ww = rng.uniform(6, 22)
                n = int(ww * 6)
                t = np.linspace(0, 1, n)
                px = x + ww * t + 1.2 * np.sin(2 * math.pi * t * ww / 2.2)
                py = y + 1.8 * np.sin(2 * math.pi * t * ww / 2.4 + rng.uniform(0, 6)) * rng.uniform(0.5, 1)
                pts = [(self.mm(a), self.mm(b)) for a, b in zip(px, py)]
                self.d.line(pts, fill=col, width=wpx)
                self.add("pencil", [min(p[0] for p in pts) - wpx, min(p[1] for p in pts) - wpx,
                                    max(p[0] for p in pts) + wpx, max(p[1] for p in pts) + wpx])
                x += ww + rng.uniform(3, 6)
            y += rng.uniform(8, 10)

    def finish(self):
        img = self.img
        for L in self.colour_layers:
            img = ImageChops.multiply(img, L)
        self.img = img
        return img

def rng_np(rng):
    return np.random.default_rng(rng.randint(0, 2**31))

# ---------------------------------------------------------------- layouts
def L_certificate(p, rng):
    W, H = p.wmm, p.hmm
    p.text(W / 2, 18, "SOCIALIST REPUBLIC OF VIETNAM", "serifb", 12, anchor="ma")
    p.text(W / 2, 25, "Independence - Freedom - Happiness", "seriti", 11, anchor="ma")
    p.text(W / 2, 42, rng.choice(["CERTIFICATE OF BIRTH", "CERTIFICATE", "CONFIRMATION OF RESIDENCE", "MARRIAGE CERTIFICATE"]), "serifb", 20, anchor="ma")
    y = 60
    n = min(rng.randint(8, 15), int((H - 135) / 9))
    for i in range(n):
        s = rng.choice(["Full name", "Date of birth", "Place of birth", "Father", "Mother", "Residence", "Nationality", "Registered at", "Number"])
        p.text(25, y, s + ": " + sentence(rng, rng.randint(3, 8)), "serif", 12)
        y += 9
    if rng.random() < 0.5 and y < H - 120:
        p.photo_grey(25, y + 8)
    sy = max(y + 15, H - 95)
    p.text(W - 65, sy, "Ha Noi, date %02d/%02d/2023" % (rng.randint(1, 28), rng.randint(1, 12)), "seriti", 11, anchor="ma")
    p.text(W - 65, sy + 8, "CHAIRMAN", "serifb", 12, anchor="ma")
    p.signature(W - 88, sy + 18)
    p.seal(W - 80 + rng.uniform(-8, 4), sy + 26 + rng.uniform(-4, 4), rng.uniform(17, 21))
    p.text(W - 65, sy + 45, sentence(rng, 3).upper(), "serifb", 12, anchor="ma")
    return "colourseal"

def L_form(p, rng):
    W, H = p.wmm, p.hmm
    m = rng.uniform(5, 10)
    mb = rng.uniform(5, 10)
    p.rect(m, m, W - m, H - mb, 0.5)
    p.text(W / 2, m + 8, "APPLICATION FORM No. %02d" % rng.randint(1, 99), "sansb", 14, anchor="ma")
    y = p.para(m + 6, m + 20, W - 2 * m - 12, rng.randint(2, 4), 10, fname="sans")
    rows = rng.randint(10, 22)
    p.table(m + 4, y + 5, W - m - 4, H - mb - 30, rows, rng.randint(3, 6))
    p.text(m + 6, H - mb - 22, "Declared by: " + sentence(rng, 4), "sans", 10)
    p.text(m + 6, H - mb - 14, "Checked by: " + sentence(rng, 3), "sans", 10)
    return "text"

def L_pagenum(p, rng):
    W, H = p.wmm, p.hmm
    y = p.para(25, 25, W - 50, rng.randint(20, 30), 11)
    e = rng.uniform(6, 8)
    side = rng.choice(["r", "l"])
    s = "- %d -" % rng.randint(2, 30) if rng.random() < 0.3 else str(rng.randint(2, 30))
    if side == "r":
        p.text(W - e, H - e, s, "serif", 11, anchor="rd")
    else:
        p.text(e, H - e, s, "serif", 11, anchor="ld")
    return "text"

def L_stamp_edge(p, rng):
    W, H = p.wmm, p.hmm
    p.text(W / 2, 20, "NOTICE", "sansb", 16, anchor="ma")
    p.para(25, 35, W - 50, rng.randint(12, 22), 11)
    col = rng.choice([(40, 60, 170), (110, 40, 140), (30, 30, 30), (190, 40, 40)])
    e = rng.uniform(5, 8)
    where = rng.choice(["tr", "br", "tl", "rm"])
    sw, sh = 42, 18
    if where == "tr": x, y = W - e - sw, e
    elif where == "br": x, y = W - e - sw, H - e - sh
    elif where == "tl": x, y = e, e
    else: x, y = W - e - sw, H / 2
    p.stamp(x, y, sw, sh, col)
    return "text" if col == (30, 30, 30) else "colourstamp"

def L_letter(p, rng):
    W, H = p.wmm, p.hmm
    top = rng.uniform(30, 90)
    p.para(25, top, W - 50, rng.randint(3, 5), 12)
    return "text"

def L_twocol(p, rng):
    W, H = p.wmm, p.hmm
    p.text(W / 2, 18, sentence(rng, 4).upper(), "serifb", 15, anchor="ma")
    cw = (W - 50 - 8) / 2
    n = int((H - 60) / (10 * 0.3528 * 1.45))
    p.para(25, 32, cw, n, 10, lead=1.45)
    p.para(25 + cw + 8, 32, cw, n - rng.randint(0, 12), 10, lead=1.45)
    return "text"

def L_table_land(p, rng):
    W, H = p.wmm, p.hmm
    p.text(W / 2, 14, "SUMMARY TABLE " + sentence(rng, 3).upper(), "sansb", 13, anchor="ma")
    p.table(12, 24, W - 12, H - 18, rng.randint(12, 20), rng.randint(6, 10), pt=8)
    return "text"

def L_idphoto(p, rng):
    W, H = p.wmm, p.hmm
    p.text(W / 2, 18, "PERSONAL RECORD", "sansb", 15, anchor="ma")
    p.photo_grey(25, 30)
    y = 32
    for i in range(rng.randint(5, 8)):
        p.text(62, y, rng.choice(["Name", "Born", "Address", "ID", "Job"]) + ": " + sentence(rng, 4), "serif", 11)
        y += 7
    p.para(25, 80, W - 50, rng.randint(8, 18), 11)
    return "photo"

def L_colourphoto(p, rng):
    W, H = p.wmm, p.hmm
    p.text(W / 2, 18, "SITE INSPECTION - PHOTO " + str(rng.randint(1, 9)), "sansb", 13, anchor="ma")
    pw = W - 40
    ph = min(pw * 0.7, H - 90)
    p.photo_colour(20, 30, pw, ph)
    p.para(20, 30 + ph + 10, W - 40, rng.randint(3, 6), 10)
    return "colourphoto"

def L_pencil(p, rng):
    W, H = p.wmm, p.hmm
    lvl = rng.randint(135, 175)
    p.pencil(25, rng.uniform(25, 50), W - 50, rng.randint(6, 14), lvl)
    return "pencil"

def L_report(p, rng):
    W, H = p.wmm, p.hmm
    p.text(W / 2, 20, "REPORT", "sansb", 16, anchor="ma")
    y = 35
    while y < H - 50:
        y = p.para(25, y, W - 50, rng.randint(4, 9), 11) + 5
    return "text"

def L_blank(p, rng):
    return "blank"

def add_holes(p, rng, dark):
    cx = p.mm(12)
    r = p.mm(3)
    for dy in (-40, 40):
        cy = p.H / 2 + p.mm(dy)
        p.d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=dark)

def add_bleed(p, rng):
    # faint mirrored text of the other side
    tmp = Image.new("L", (p.W, p.H), 0)
    d = ImageDraw.Draw(tmp)
    f = font("serif", 11 * p.dpi / 72)
    y = p.mm(30)
    while y < p.H - p.mm(40):
        d.text((p.mm(25), y), sentence(rng, 11), font=f, fill=255)
        y += p.mm(6.5)
    tmp = tmp.transpose(Image.FLIP_LEFT_RIGHT).filter(ImageFilter.GaussianBlur(p.mm(0.25)))
    a = np.asarray(p.img).astype(np.float32)
    depth = rng.uniform(10, 22)
    a = a - (np.asarray(tmp).astype(np.float32) / 255.0)[..., None] * depth
    p.img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    p.d = ImageDraw.Draw(p.img)
    return depth

LAYOUTS = {
    "certificate": L_certificate, "form": L_form, "pagenum": L_pagenum, "stamp_edge": L_stamp_edge,
    "letter": L_letter, "twocol": L_twocol, "table_land": L_table_land, "idphoto": L_idphoto,
    "colourphoto": L_colourphoto, "pencil": L_pencil, "report": L_report,
    "blank_plain": L_blank, "blank_holes": L_blank, "blank_bleed": L_blank,
}
EXPECT = {"text": "bitonal", "colourseal": "mixed|colour", "colourstamp": "mixed|colour",
          "photo": "grey|mixed|colour", "colourphoto": "colour|mixed", "pencil": "grey", "blank": "any"}

def R(s):
    c, n = math.cos(math.radians(s)), math.sin(math.radians(s))
    return np.array([[c, -n], [n, c]])  # clockwise (visually, y down) by s

def make(rng, rec, kind, outdir):
    land = kind == "table_land" or (kind in ("colourphoto", "report", "blank_plain") and rng.random() < 0.25)
    size = "A5" if (kind in ("letter", "certificate", "pencil", "blank_plain", "stamp_edge") and rng.random() < 0.3) else "A4"
    wmm, hmm = (148, 210) if size == "A5" else (210, 297)
    if land: wmm, hmm = hmm, wmm
    dpi = rng.choices([200, 300, 150, 400, 600], [40, 45, 6, 6, 3])[0]
    if size == "A4" and dpi == 600 and rng.random() < 0.5: dpi = 400
    tint = tuple(int(v) for v in (rng.uniform(236, 252), rng.uniform(232, 248), rng.uniform(220, 242)))
    p = Page(rng, wmm, hmm, dpi, tint)
    cls = LAYOUTS[kind](p, rng)
    extra = {}
    if kind == "blank_bleed":
        extra["bleed_depth"] = round(add_bleed(p, rng), 1)
    img = p.finish()

    # ---- format
    if cls == "text":
        fmt = rng.choice(["g4", "g4", "greylzw", "greyjpg", "colourjpg", "png"])
    elif cls in ("colourseal", "colourstamp", "colourphoto"):
        fmt = rng.choice(["colourjpg", "colourjpg", "colourjpg", "colourlzw", "png"])
    elif cls in ("photo", "pencil"):
        fmt = rng.choice(["greyjpg", "greylzw", "colourjpg"])
    else:  # blank
        fmt = rng.choice(["greyjpg", "greylzw", "colourjpg", "g4"] if kind != "blank_bleed" else ["greyjpg", "greylzw", "colourjpg"])

    # ---- geometry
    big = rng.random() < 0.12
    skew = rng.uniform(6, 14) * rng.choice([-1, 1]) if big else rng.uniform(-6, 6)
    skew = round(skew, 3)
    rot = rng.choices([0, 90, 180, 270], [55, 15, 15, 15])[0]
    has_border = rng.random() < 0.45
    border = ""
    if has_border:
        k = rng.choice([1, 2, 3, 4, 4])
        border = "".join(sorted(rng.sample("tlbr", k), key="tlbr".index))
    if kind == "blank_holes":
        holes_dark = rng.random() < 0.7
        add_holes(p, rng, (rng.randint(20, 60),) * 3 if holes_dark else (250, 250, 250))
        extra["holes"] = "dark" if holes_dark else "white"
        img = p.img
    bedv = rng.randint(12, 55)
    bed = (bedv, bedv, bedv + rng.randint(0, 6))
    lid = tuple([rng.randint(243, 255)] * 3)
    pc = np.array([p.W / 2, p.H / 2])
    Rm = R(skew)
    corners = np.array([[0, 0], [p.W, 0], [p.W, p.H], [0, p.H]], float)
    rc = (corners - pc) @ Rm.T
    mn, mx = rc.min(0), rc.max(0)
    mmpx = p.s
    marg = {}
    for sd in "tlbr":
        if has_border:
            marg[sd] = rng.uniform(4, 15) * mmpx if sd in border else -rng.uniform(0, 1.5) * mmpx
        else:
            marg[sd] = rng.uniform(0, 1.5) * mmpx
    left, top = mn[0] - marg["l"], mn[1] - marg["t"]
    right, bottom = mx[0] + marg["r"], mx[1] + marg["b"]
    Wc, Hc = int(math.ceil(right - left)), int(math.ceil(bottom - top))
    T = np.array([-left, -top])  # paper centre in canvas
    # inverse: paper = pc + R(-s)(scan - T)
    Ri = R(-skew)
    a, b, d_, e = Ri[0, 0], Ri[0, 1], Ri[1, 0], Ri[1, 1]
    c = pc[0] - a * T[0] - b * T[1]
    f = pc[1] - d_ * T[0] - e * T[1]
    fill = bed if has_border else lid
    # supersample-free bicubic
    scan = img.transform((Wc, Hc), Image.AFFINE, (a, b, c, d_, e, f), resample=Image.BICUBIC, fillcolor=fill)
    # mask of paper to add a soft shadow at paper edge on bed sides
    arr = np.asarray(scan).astype(np.float32)
    # blur + noise
    bl = ImageFilter.GaussianBlur(max(0.5, 0.7 * dpi / 300))
    arr = np.asarray(Image.fromarray(arr.astype(np.uint8)).filter(bl)).astype(np.float32)
    g = rng_np(rng)
    sig = rng.uniform(2, 5)
    arr += g.normal(0, sig, (Hc, Wc, 1)).astype(np.float32) + g.normal(0, sig * 0.4, (Hc, Wc, 3)).astype(np.float32)
    # slight illumination falloff
    yy = np.linspace(-1, 1, Hc, dtype=np.float32)[:, None, None]
    arr *= (1 - rng.uniform(0, 0.04) * yy ** 2)
    scan = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    # orientation
    tr = {0: None, 90: Image.ROTATE_270, 180: Image.ROTATE_180, 270: Image.ROTATE_90}[rot]
    if tr is not None:
        scan = scan.transpose(tr)

    def fwd(pts):  # paper px -> final file px
        q = (np.asarray(pts, float) - pc) @ Rm.T + T
        if rot == 90: q = np.stack([Hc - q[:, 1], q[:, 0]], 1)
        elif rot == 180: q = np.stack([Wc - q[:, 0], Hc - q[:, 1]], 1)
        elif rot == 270: q = np.stack([q[:, 1], Wc - q[:, 0]], 1)
        return q
    FW, FH = scan.size
    pcs = fwd(corners)
    # content
    for e_ in p.elems:
        assert e_[1] >= p.mm(3) and e_[2] >= p.mm(3) and e_[3] <= p.W - p.mm(3) and e_[4] <= p.H - p.mm(3), ("off paper", e_)
    if p.elems:
        ex = np.array([e_[1:] for e_ in p.elems])
        cbox = [float(ex[:, 0].min()), float(ex[:, 1].min()), float(ex[:, 2].max()), float(ex[:, 3].max())]
        # check every element inside scan
        for e_ in p.elems:
            q = fwd([[e_[1], e_[2]], [e_[3], e_[2]], [e_[3], e_[4]], [e_[1], e_[4]]])
            assert q.min() >= -1 and q[:, 0].max() <= FW + 1 and q[:, 1].max() <= FH + 1, (rec, e_)
    else:
        cbox = None
    # ---- save
    ext = {"g4": "tif", "greylzw": "tif", "colourlzw": "tif", "greyjpg": "jpg", "colourjpg": "jpg", "png": "png"}[fmt]
    fn = f"{rec}.{ext}"
    path = os.path.join(outdir, "inbox", fn)
    if fmt == "g4":
        gimg = scan.convert("L")
        bw = gimg.point(lambda v: 255 if v > 150 else 0).convert("1")
        bw.save(path, compression="group4", dpi=(dpi, dpi))
    elif fmt == "greylzw":
        scan.convert("L").save(path, compression="tiff_lzw", dpi=(dpi, dpi))
    elif fmt == "colourlzw":
        scan.save(path, compression="tiff_lzw", dpi=(dpi, dpi))
    elif fmt == "greyjpg":
        scan.convert("L").save(path, quality=rng.randint(75, 92), dpi=(dpi, dpi))
    elif fmt == "colourjpg":
        scan.save(path, quality=rng.randint(75, 92), dpi=(dpi, dpi))
    else:
        scan.save(path, dpi=(dpi, dpi))
    # thumbnail of upright clean paper at 100 dpi, grey
    th = img.convert("L").resize((int(round(wmm / 25.4 * 100)), int(round(hmm / 25.4 * 100))), Image.BOX)
    th.save(os.path.join(outdir, "thumb", rec + ".png"))
    meta = dict(record=rec, file=fn, kind=kind, cls=cls, size=size, land=land, dpi=dpi, fmt=fmt, skew=skew,
                rotation=rot, border=border, Wp=p.W, Hp=p.H, Wc=Wc, Hc=Hc, FW=FW, FH=FH, T=T.tolist(),
                pc=pc.tolist(), paper_corners=pcs.tolist(), content=cbox, elems=p.elems, tint=tint, bed=bed,
                extra=extra, expect_mode=EXPECT[cls], blank=int(cls == "blank"))
    with open(os.path.join(outdir, "meta", rec + ".json"), "w") as fo:
        json.dump(meta, fo)
    return meta

def main():
    out, seed = sys.argv[1], int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    rng = random.Random(seed)
    for sub in ("inbox", "meta", "thumb"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    kinds = list(LAYOUTS)
    seq = (kinds * 3)[:n]
    # a couple of extra pages of the most interesting kinds
    rng.shuffle(seq)
    rows = []
    lo = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    hi = int(sys.argv[5]) if len(sys.argv) > 5 else n
    for i, kind in enumerate(seq):
        if not (lo <= i < hi): continue
        rec = "DD-2024-%05d" % (seed * 1000 + i + 1)
        prng = random.Random(seed * 100003 + i)
        for attempt in range(20):
            try:
                m = make(prng, rec, kind, out)
                break
            except AssertionError as ex:
                print("retry", rec, ex, flush=True)
        pc = np.array(m["paper_corners"])
        cb = m["content"] or [0, 0, 0, 0]
        rows.append([rec, m["file"], kind, m["size"] + ("L" if m["land"] else ""), m["dpi"], m["fmt"], m["FW"], m["FH"],
                     m["skew"], m["rotation"], m["border"] or "-", m["expect_mode"], m["blank"],
                     int(pc[:, 0].min()), int(pc[:, 1].min()), int(pc[:, 0].max() - pc[:, 0].min()), int(pc[:, 1].max() - pc[:, 1].min()),
                     " ".join("%.1f,%.1f" % tuple(v) for v in pc), *[int(v) for v in cb], m["Wp"], m["Hp"]])
        print(rec, kind, m["fmt"], m["dpi"], m["skew"], m["rotation"], m["border"], flush=True)
    with open(os.path.join(out, "truth-%d-%d.csv" % (lo, hi)), "w", newline="") as fo:
        w = csv.writer(fo)
        w.writerow(["record", "file", "kind", "paper", "dpi", "format", "width", "height", "skew_deg", "rotation", "border",
                    "expect_mode", "blank", "paper_x", "paper_y", "paper_w", "paper_h", "paper_corners",
                    "content_x0", "content_y0", "content_x1", "content_y1", "paper_px_w", "paper_px_h"])
        w.writerows(rows)

if __name__ == "__main__":
    main()
