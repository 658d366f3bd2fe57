# Makes the image fixtures of ImageFolderTests with PIL 13 (from torch 2.13's virtualenv). Run from this folder:
# ../../../../../venv-torch/bin/python make-image-fixtures.py
# folder/ is an ImageFolder root: classes ants, bees (a nested folder, upper-case extension, a text file that is
# skipped); every PNG color type and bit depth, Adam7 interlacing, palettes with transparency, PGM and PPM.
import os, shutil, numpy as np
from PIL import Image
shutil.rmtree("folder", ignore_errors=True); shutil.rmtree("empty", ignore_errors=True)
for d in ["folder/ants/nest", "folder/bees", "empty/cats", "empty/dogs"]: os.makedirs(d)
rng = np.random.default_rng(0)
def rgb(h, w): return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
Image.fromarray(rgb(4, 5)).save("folder/ants/a-rgb.png")                                   # color type 2, 8 bit
Image.fromarray(rgb(7, 9)).save("folder/ants/nest/b-interlaced.PNG", interlace=1)          # Adam7
Image.fromarray(np.dstack([rgb(3, 6), rng.integers(0, 256, (3, 6, 1), dtype=np.uint8)])).save("folder/ants/c-rgba.png")
Image.fromarray(rng.integers(0, 256, (5, 3), dtype=np.uint8)).save("folder/bees/d-gray.png")
Image.fromarray(rng.integers(0, 2, (6, 11), dtype=np.uint8).astype(bool)).save("folder/bees/e-1bit.png")
p = Image.fromarray(rng.integers(0, 4, (4, 7), dtype=np.uint8), mode="P")
p.putpalette([10, 20, 30, 200, 100, 0, 0, 255, 0, 90, 90, 90]); p.info["transparency"] = bytes([0, 128])
p.save("folder/bees/f-palette.png", bits=2, transparency=bytes([0, 128]))                   # 2-bit palette with tRNS
Image.fromarray(np.dstack([rng.integers(0, 256, (3, 4), dtype=np.uint8)] * 2), mode="LA").save("folder/bees/g-gray-alpha.png")
Image.fromarray(rng.integers(0, 65536, (4, 4), dtype=np.uint16)).save("folder/bees/h-gray16.png")   # 16-bit gray
Image.fromarray(rgb(3, 4)).save("folder/bees/i.ppm")
Image.fromarray(rng.integers(0, 256, (2, 5), dtype=np.uint8)).save("folder/bees/j.pgm")
open("folder/bees/notes.txt", "w").write("not an image\n")
Image.fromarray(rgb(2, 2)).save("empty/cats/x.png")
open("empty/dogs/README", "w").write("git keeps no empty folder: this file holds the class, which has no image\n")

# jpeg/: baseline 4:2:0 (odd size), 4:4:4, progressive, grayscale, CMYK (refused), and a truncated file
shutil.rmtree("jpeg", ignore_errors=True); os.makedirs("jpeg")
yy, xx = np.mgrid[0:37, 0:53]
smooth = np.dstack([(xx * 4) % 256, (yy * 6) % 256, ((xx + yy) * 3) % 256]).astype(np.uint8)
Image.fromarray(smooth).save("jpeg/baseline-420.jpg", quality=90)
Image.fromarray(smooth).save("jpeg/full-444.jpg", quality=95, subsampling=0)
Image.fromarray(smooth).save("jpeg/progressive.jpg", quality=80, progressive=True)
Image.fromarray(smooth[:, :, 0]).save("jpeg/gray.jpg", quality=85)
Image.fromarray(smooth).convert("CMYK").save("jpeg/cmyk.jpg")
data = open("jpeg/baseline-420.jpg", "rb").read()
open("jpeg/truncated.jpg", "wb").write(data[: len(data) * 2 // 3])
