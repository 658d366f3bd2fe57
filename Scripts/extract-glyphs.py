#!/usr/bin/env python3
"""Writes Sources/Descent/Plot/GlyphData.swift: the outlines and advance widths of DejaVu Sans for
printable ASCII and the other characters plot labels use (the minus sign of tick labels, sub- and
superscript digits, Greek letters, a few symbols). Text layout measures with these advances, and the
PNG rasterizer draws text with these outlines.

    python3 Scripts/extract-glyphs.py /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

Reads the TrueType tables itself (head, maxp, cmap format 4, hmtx, loca, glyf, composite glyphs
by offset). The output is base64 of little-endian int16s: for each glyph, its code point (as an
unsigned 16-bit value), advance width, contour count, then per contour its point count and
(x, y, on-curve) per point, in font units (2048 per em).
DejaVu fonts are free to embed and redistribute (Bitstream Vera licence, see the README's credits).
"""
import base64, struct, sys

path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
data = open(path, "rb").read()
num_tables = struct.unpack(">H", data[4:6])[0]
tables = {}
for i in range(num_tables):
    tag, _, off, length = struct.unpack(">4sIII", data[12 + 16 * i: 28 + 16 * i])
    tables[tag.decode()] = (off, length)

def tab(name):
    off, length = tables[name]
    return data[off: off + length]

head = tab("head")
units_per_em = struct.unpack(">H", head[18:20])[0]
loc_format = struct.unpack(">h", head[50:52])[0]
num_glyphs = struct.unpack(">H", tab("maxp")[4:6])[0]
num_hmetrics = struct.unpack(">H", tab("hhea")[34:36])[0]
hmtx = tab("hmtx")
loca_raw = tab("loca")
if loc_format == 0:
    loca = [2 * v for v in struct.unpack(">%dH" % (num_glyphs + 1), loca_raw[: 2 * (num_glyphs + 1)])]
else:
    loca = list(struct.unpack(">%dI" % (num_glyphs + 1), loca_raw[: 4 * (num_glyphs + 1)]))
glyf = tab("glyf")

cmap = tab("cmap")
sub = None
for i in range(struct.unpack(">H", cmap[2:4])[0]):
    pid, eid, off = struct.unpack(">HHI", cmap[4 + 8 * i: 12 + 8 * i])
    if struct.unpack(">H", cmap[off: off + 2])[0] == 4 and pid in (0, 3):
        sub = off
        break
seg_x2 = struct.unpack(">H", cmap[sub + 6: sub + 8])[0]
segs = seg_x2 // 2
ends = struct.unpack(">%dH" % segs, cmap[sub + 14: sub + 14 + seg_x2])
starts = struct.unpack(">%dH" % segs, cmap[sub + 16 + seg_x2: sub + 16 + 2 * seg_x2])
deltas = struct.unpack(">%dh" % segs, cmap[sub + 16 + 2 * seg_x2: sub + 16 + 3 * seg_x2])
range_off_pos = sub + 16 + 3 * seg_x2
range_offs = struct.unpack(">%dH" % segs, cmap[range_off_pos: range_off_pos + seg_x2])

def glyph_index(c):
    for i in range(segs):
        if starts[i] <= c <= ends[i]:
            if range_offs[i] == 0:
                return (c + deltas[i]) & 0xFFFF
            p = range_off_pos + 2 * i + range_offs[i] + 2 * (c - starts[i])
            g = struct.unpack(">H", cmap[p: p + 2])[0]
            return (g + deltas[i]) & 0xFFFF if g else 0
    return 0

def advance(g):
    i = min(g, num_hmetrics - 1)
    return struct.unpack(">H", hmtx[4 * i: 4 * i + 2])[0]

def outline(g):
    start, end = loca[g], loca[g + 1]
    if start == end:
        return []
    b = glyf[start:end]
    n = struct.unpack(">h", b[0:2])[0]
    if n < 0:  # composite: components placed by x/y offsets (no scaling in the glyphs used here)
        contours, p = [], 10
        while True:
            flags, comp = struct.unpack(">HH", b[p: p + 4]); p += 4
            if flags & 1:
                dx, dy = struct.unpack(">hh", b[p: p + 4]); p += 4
            else:
                dx, dy = struct.unpack(">bb", b[p: p + 2]); p += 2
            if not flags & 2:
                raise SystemExit("glyph %d: point-matched components are not supported" % g)
            if flags & (8 | 0x40 | 0x80):
                raise SystemExit("glyph %d: scaled components are not supported" % g)
            for ct in outline(comp):
                contours.append([(x + dx, y + dy, on) for x, y, on in ct])
            if not flags & 0x20:
                return contours
    end_pts = struct.unpack(">%dH" % n, b[10: 10 + 2 * n])
    npts = end_pts[-1] + 1
    p = 10 + 2 * n
    ilen = struct.unpack(">H", b[p: p + 2])[0]
    p += 2 + ilen
    flags = []
    while len(flags) < npts:
        f = b[p]; p += 1
        flags.append(f)
        if f & 8:
            r = b[p]; p += 1
            flags.extend([f] * r)
    def coords(short_bit, same_bit):
        nonlocal p
        out, v = [], 0
        for f in flags:
            if f & short_bit:
                d = b[p]; p += 1
                v += d if f & same_bit else -d
            elif not f & same_bit:
                v += struct.unpack(">h", b[p: p + 2])[0]; p += 2
            out.append(v)
        return out
    xs = coords(2, 16)
    ys = coords(4, 32)
    contours, s = [], 0
    for e in end_pts:
        contours.append([(xs[k], ys[k], flags[k] & 1) for k in range(s, e + 1)])
        s = e + 1
    return contours

assert units_per_em == 2048, units_per_em
words = []
extra = ([0xB0, 0xB1, 0xB2, 0xB3, 0xB5, 0xB7, 0xB9, 0xD7, 0xF7, 0x2022, 0x2026, 0x2030, 0x2070]
         + list(range(0x2074, 0x207A)) + list(range(0x2080, 0x208A))
         + [c for c in range(0x391, 0x3AA) if c != 0x3A2] + list(range(0x3B1, 0x3CA))
         + [0x2190, 0x2192, 0x2212, 0x2264, 0x2265, 0x221E, 0x2248, 0x2260, 0x221A, 0x2211])
for c in list(range(32, 127)) + extra:
    g = glyph_index(c)
    if g == 0:
        raise SystemExit("U+%04X is not in the font" % c)
    cs = outline(g)
    words += [c - 65536 if c >= 32768 else c, advance(g), len(cs)]
    for ct in cs:
        words.append(len(ct))
        for x, y, on in ct:
            words += [x, y, on]
blob = base64.b64encode(struct.pack("<%dh" % len(words), *words)).decode()
lines = [blob[i: i + 120] for i in range(0, len(blob), 120)]
out = '''// Generated by Scripts/extract-glyphs.py from DejaVuSans.ttf (DejaVu fonts: Bitstream Vera licence,
// free to embed). Do not edit: run the script again.

/// DejaVu Sans outlines for printable ASCII and the other characters labels use, as base64 of
/// little-endian int16s: per glyph its code point, advance, contour count, and per contour a point
/// count then (x, y, on-curve) per point (2048 units per em).
let dejaVuGlyphData = """
''' + "\n".join(lines) + '''
"""
'''
open("Sources/Descent/Plot/GlyphData.swift", "w").write(out)
print("glyphs: %d, int16 words: %d, base64 chars: %d" % (95 + len(extra), len(words), len(blob)))
