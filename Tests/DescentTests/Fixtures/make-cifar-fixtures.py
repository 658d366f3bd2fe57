# Makes the CIFAR fixtures of CIFARTests: small archives laid out as the published ones
# (cifar-10-python.tar.gz: cifar-10-batches-py/data_batch_1..5, test_batch, batches.meta;
# cifar-100-python.tar.gz: cifar-100-python/train, test, meta), whose batches are pickled the way
# the published files were, by Python 2's cPickle with protocol 2 (py2 `str` as SHORT_BINSTRING /
# BINSTRING, the array as numpy.core.multiarray._reconstruct + BUILD), and two pickles of the same
# dict as Python 3 writes them (protocol 2: bytes through _codecs.encode; protocol 5: frames,
# STACK_GLOBAL and numpy's _frombuffer). Run from this folder: ../../../../venv-torch/bin/python make-cifar-fixtures.py
import io, pickle, struct, tarfile, gzip, numpy as np

def py2(obj):
    """obj pickled as Python 2's cPickle.dump(obj, f, 2) writes it (str as py2 byte strings)."""
    out = io.BytesIO(); memo = [0]
    w = out.write
    def put():
        memo[0] += 1
        w(b"q" + bytes([memo[0]]) if memo[0] < 256 else b"r" + struct.pack("<I", memo[0]))
    def s(x):
        b = x.encode("latin1") if isinstance(x, str) else x
        w((b"U" + bytes([len(b)])) if len(b) < 256 else (b"T" + struct.pack("<i", len(b)))); w(b); put()
    def i(x):
        if 0 <= x < 256: w(b"K" + bytes([x]))
        elif 0 <= x < 65536: w(b"M" + struct.pack("<H", x))
        else: w(b"J" + struct.pack("<i", x))
    def g(mod, name): w(b"c" + mod.encode() + b"\n" + name.encode() + b"\n"); put()
    def save(x):
        if isinstance(x, dict):
            w(b"}"); put(); w(b"(")
            for k, v in x.items(): save(k); save(v)
            w(b"u")
        elif isinstance(x, list):
            w(b"]"); put()
            for at in range(0, len(x), 1000):
                w(b"("); [save(v) for v in x[at:at + 1000]]; w(b"e")
        elif isinstance(x, (str, bytes)): s(x)
        elif isinstance(x, (int, np.integer)): i(int(x))
        elif isinstance(x, np.ndarray):
            g("numpy.core.multiarray", "_reconstruct"); g("numpy", "ndarray")
            w(b"K\x00\x85"); s("b"); w(b"\x87R"); put()
            w(b"("); i(1); [i(d) for d in x.shape]; w(b"\x86" if x.ndim == 2 else b"\x85")
            g("numpy", "dtype"); s("u1"); w(b"K\x00K\x01\x87R"); put()
            w(b"(K\x03"); s("|"); w(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
            w(b"\x89"); s(x.tobytes()); w(b"tb")
        else: raise TypeError(type(x))
    w(b"\x80\x02"); save(obj); w(b".")
    return out.getvalue()

rng = np.random.RandomState(7)
def batch(n, label_key, labels, name):
    d = {"data": rng.randint(0, 256, size=(n, 3072)).astype(np.uint8), label_key: labels, "batch_label": name,
         "filenames": ["img_%s_%d.png" % (name.replace(" ", "_"), k) for k in range(n)]}
    return d

def tar(path, folder, files):
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as t:
                info = tarfile.TarInfo(folder); info.type = tarfile.DIRTYPE; info.mode = 0o755; t.addfile(info)
                for name, data in files:
                    info = tarfile.TarInfo(folder + "/" + name); info.size = len(data); info.mode = 0o644
                    t.addfile(info, io.BytesIO(data))

labels10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
files = [("data_batch_%d" % k, py2(batch(2, "labels", [int(v) for v in rng.randint(0, 10, 2)], "training batch %d of 5" % k)))
         for k in range(1, 6)]
files.append(("test_batch", py2(batch(3, "labels", [int(v) for v in rng.randint(0, 10, 3)], "testing batch 1 of 1"))))
files.append(("batches.meta", py2({"num_cases_per_batch": 10000, "label_names": labels10, "num_vis": 3072})))
files.append(("readme.html", b"<meta HTTP-EQUIV=\"REFRESH\" content=\"0; URL=http://www.cs.toronto.edu/~kriz/cifar.html\">\n"))
tar("cifar-10-python.tar.gz", "cifar-10-batches-py", files)

fine = ["fine_%02d" % k for k in range(100)]; coarse = ["coarse_%02d" % k for k in range(20)]
def b100(n, name):
    d = batch(n, "fine_labels", [int(v) for v in rng.randint(0, 100, n)], name)
    d["coarse_labels"] = [int(v) for v in rng.randint(0, 20, n)]
    return d
tar("cifar-100-python.tar.gz", "cifar-100-python",
    [("train", py2(b100(4, "training batch 1 of 1"))), ("test", py2(b100(2, "testing batch 1 of 1"))),
     ("meta", py2({"fine_label_names": fine, "coarse_label_names": coarse}))])

small = {"data": np.arange(12, dtype=np.uint8).reshape(2, 6) * 20, "labels": [3, 1000, 70000, -2], "name": "small",
         "ratio": 0.25, "flags": (True, False, None)}
open("small-py3-protocol2.pkl", "wb").write(pickle.dumps(small, protocol=2))
open("small-py3-protocol5.pkl", "wb").write(pickle.dumps(small, protocol=5))
