"""The real MNIST digits: the bundled test set, an IDX file reader, md5 checks, a downloader.

The MNIST database of handwritten digits is by Yann LeCun, Corinna Cortes and Christopher
J. C. Burges (http://yann.lecun.com/exdb/mnist/). mlbook ships its 10,000 test digits (the two
standard ``t10k`` files, unchanged, in ``mlbook/datasets/data/``, see the NOTICE there) so the
course works offline; the 60,000 training digits are downloaded and md5-verified on request.

IDX format (big-endian), as the MNIST files use it::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4 * d       the size of each dimension, uint32 big-endian
    rest        the elements, row-major

Images: ``(N, 28, 28)`` uint8 (0 = background, 255 = ink); labels: ``(N,)`` uint8 in 0..9.

Where the files are looked for: in ``path`` if you pass one; else the test digits come from
the package (:data:`BUNDLED_DIR`, no network, no cache) and the training digits from
``$MLBOOK_DATA/mnist``, else ``~/.cache/mlbook/mnist``. Nothing is downloaded unless you ask:
``load_mnist(kind="train", download=True)``. Every file's md5 is checked against the published
one before it is read (a bundled file that does not match is an error naming it).

The course's fixed split of the 10,000 bundled digits: :func:`course_split` (8,000 to train,
2,000 held out, stratified by class, seeded).
"""
import gzip
import hashlib
import os
import pathlib
import shutil
import tempfile
import urllib.request

import numpy as np

from ..validation import as_rng, check_flag, check_int

__all__ = ["load_mnist", "download_mnist", "read_idx", "parse_idx", "md5sum",
           "default_mnist_dir", "course_split", "MNIST_FILES", "MNIST_MD5", "MNIST_MIRRORS",
           "BUNDLED_DIR", "COURSE_SPLIT_SEED", "MNIST_CITATION"]

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
# Yann LeCun's original page now answers with an error for scripted downloads; these two mirrors
# serve byte-identical files (the md5 check above guarantees it).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# the two t10k files, shipped as package data (see NOTICE.md in that folder)
BUNDLED_DIR = pathlib.Path(__file__).resolve().parent / "data"
MNIST_CITATION = ("Y. LeCun, C. Cortes, C. J. C. Burges, \"The MNIST database of handwritten "
                  "digits\", http://yann.lecun.com/exdb/mnist/")
COURSE_SPLIT_SEED = 2026

_IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


# --------------------------------------------------------------------------------------------
# IDX

def parse_idx(data, *, name="IDX data"):
    """Parse the bytes of an (uncompressed) IDX file into an array of its shape and type."""
    data = bytes(data)
    if len(data) < 4:
        raise ValueError(f"{name}: too short to be an IDX file ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{name}: not an IDX file (magic number {data[:4].hex()}; expected "
                         f"0000 then a type byte in {[hex(t) for t in _IDX_TYPES]} and the "
                         f"number of dimensions)")
    dtype, ndim = _IDX_TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated header ({len(data)} bytes, need {header} for "
                         f"{ndim} dimensions)")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(f"{name}: {what}: shape {shape} of {dtype.name} needs {expected} bytes, "
                         f"the file has {len(data)}")
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))     # native byte order, writable copy


def read_idx(path):
    """Read an IDX file (gzip-compressed if its name ends in .gz) into a numpy array."""
    path = pathlib.Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                data = f.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError) as exc:   # gzip raises these on corrupt/truncated archives
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{path}: cannot be read as a {'gzip ' if path.suffix == '.gz' else ''}"
                         f"IDX file ({type(exc).__name__}: {exc})") from None
    return parse_idx(data, name=str(path))


def md5sum(path, chunk=1 << 20):
    """Hex md5 digest of a file."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# where the files are, and getting them

def default_mnist_dir():
    """``$MLBOOK_DATA/mnist`` if MLBOOK_DATA is set, else ``~/.cache/mlbook/mnist``."""
    root = os.environ.get("MLBOOK_DATA")
    if root:
        return pathlib.Path(root).expanduser() / "mnist"
    return pathlib.Path.home() / ".cache" / "mlbook" / "mnist"


def _check_kind(kind):
    if kind not in MNIST_FILES:
        raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")


def _verify(file, name):
    got = md5sum(file)
    if got != MNIST_MD5[name] and pathlib.Path(file).resolve().parent == BUNDLED_DIR:
        raise ValueError(f"{file}: the bundled MNIST file {name} is damaged: md5 {got}, expected "
                         f"the published {MNIST_MD5[name]}. Reinstall mlbook (pip install "
                         f"--force-reinstall mlbook, or git checkout the file in a clone).")
    if got != MNIST_MD5[name]:
        raise ValueError(f"{file}: md5 {got} does not match the published MNIST md5 "
                         f"{MNIST_MD5[name]} — the file is corrupt or not the original; delete it "
                         f"and download it again (load_mnist(..., download=True))")


def download_mnist(path=None, *, kind="test", mirrors=None, timeout=30, opener=None):
    """Download the missing MNIST files of ``kind`` into ``path`` and verify their md5.

    Tries each mirror in turn (``mirrors`` defaults to :data:`MNIST_MIRRORS`;
    ``opener(url, timeout=...)`` defaults to
    ``urllib.request.urlopen``). A file is written under a temporary name and moved into place
    only once its md5 matches. Returns the directory. Raises ``OSError`` saying what to do
    when no mirror can be reached (e.g. offline).
    """
    _check_kind(kind)
    folder = pathlib.Path(path) if path is not None else default_mnist_dir()
    folder.mkdir(parents=True, exist_ok=True)
    opener = urllib.request.urlopen if opener is None else opener
    mirrors = MNIST_MIRRORS if mirrors is None else tuple(mirrors)
    for name in MNIST_FILES[kind]:
        target = folder / name
        if target.exists():
            continue
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            tmp = None
            try:
                with opener(url, timeout=timeout) as response, \
                        tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".part") as out:
                    tmp = pathlib.Path(out.name)
                    shutil.copyfileobj(response, out)
                _verify(tmp, name)
                tmp.replace(target)
                break
            except (OSError, ValueError) as exc:
                errors.append(f"  {url}: {type(exc).__name__}: {exc}")
            finally:
                if tmp is not None and tmp.exists():
                    tmp.unlink()
        else:
            raise OSError(
                f"could not download {name} from any mirror:\n" + "\n".join(errors) +
                f"\nIf this machine is offline, download the MNIST {kind} files by hand "
                f"({', '.join(MNIST_FILES[kind])}, e.g. from {(mirrors or MNIST_MIRRORS)[0]}) "
                f"and put them in {folder}, or pass load_mnist(path=<their folder>).")
    return folder


def load_mnist(path=None, *, kind="test", download=False, as_float=False, verify=True):
    """Load the MNIST test (10,000) or training (60,000) digits.

    Parameters
    ----------
    path : folder holding the two ``*-ubyte.gz`` files of ``kind``; default: the bundled copy
        (:data:`BUNDLED_DIR`) for "test", :func:`default_mnist_dir` for "train".
    kind : "test" (10,000 digits, bundled) or "train" (60,000 digits, downloaded).
    download : fetch missing files from :data:`MNIST_MIRRORS` (needs internet). Off by default.
    as_float : images as float64 in [0, 1] (pixel / 255) instead of uint8 0..255.
    verify : check each file's md5 against the published one.

    Returns
    -------
    images : (N, 28, 28) uint8 (or float64), labels : (N,) uint8 with values 0..9.
    """
    _check_kind(kind)
    if path is not None:
        folder = pathlib.Path(path)
    elif kind == "test":
        folder = BUNDLED_DIR
    else:
        folder = default_mnist_dir()
    names = MNIST_FILES[kind]
    missing = [n for n in names if not (folder / n).is_file()]
    if missing and download:
        download_mnist(folder, kind=kind)
        missing = []
    if missing:
        raise FileNotFoundError(
            f"MNIST {kind} files not found in {folder}: missing {', '.join(missing)}.\n"
            f"Either call load_mnist(kind={kind!r}, download=True) on a machine with internet "
            f"(about {'11' if kind == 'train' else '1.7'} MB, saved to {folder}), or download "
            f"{', '.join(names)} by hand (e.g. from {MNIST_MIRRORS[0]}) and put them in that "
            f"folder or pass load_mnist(path=<their folder>).")
    image_file, label_file = (folder / n for n in names)
    if verify:
        _verify(image_file, names[0])
        _verify(label_file, names[1])
    images, labels = read_idx(image_file), read_idx(label_file)
    if images.ndim != 3 or images.dtype != np.uint8 or labels.ndim != 1 \
            or len(images) != len(labels):
        raise ValueError(f"{folder}: unexpected MNIST contents: images {images.shape} "
                         f"{images.dtype}, labels {labels.shape} {labels.dtype}")
    if as_float:
        images = images / 255.0
    return images, labels


# --------------------------------------------------------------------------------------------
# the course's split of the 10,000 bundled digits

def course_split(n_train=8000, *, seed=COURSE_SPLIT_SEED, as_float=True):
    """The course's fixed split of the 10,000 bundled MNIST test digits.

    Stratified by class: each digit class is shuffled with ``np.random.default_rng(seed)``
    and ``round(n_train * class_count / 10,000)`` of its digits go to the training part (the
    rounding is by largest remainder, so that exactly ``n_train`` do); the
    rest are held out. Within each part the digits are in a seeded random order. The default
    (8,000 / 2,000, seed :data:`COURSE_SPLIT_SEED`) is the one every notebook uses.

    Returns ``(X_train, y_train), (X_test, y_test)``: images (n, 28, 28) — float64 in [0, 1]
    (pixel / 255) with ``as_float``, else uint8 — and labels (n,) int64 in 0..9.
    """
    n_train = check_int(n_train, "n_train", minimum=10, maximum=9990)
    as_float = check_flag(as_float, "as_float")
    rng = as_rng(seed, "seed")
    images, labels = load_mnist(kind="test", as_float=as_float)
    labels = labels.astype(np.int64)
    counts = np.bincount(labels, minlength=10)
    share = n_train * counts / counts.sum()
    take = np.floor(share).astype(int)
    for c in np.argsort(-(share - take), kind="stable")[:n_train - take.sum()]:
        take[c] += 1                      # largest remainders first: exactly n_train in total
    train, test = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        train.append(idx[:take[c]])
        test.append(idx[take[c]:])
    train = rng.permutation(np.concatenate(train))
    test = rng.permutation(np.concatenate(test))
    return (images[train], labels[train]), (images[test], labels[test])
