"""MNIST: the IDX parser on files written here, bad files, md5, download path, the real test set."""
import gzip
import hashlib
import pathlib
import shutil
import struct

import numpy as np
import pytest

from mlbook.datasets import mnist
from mlbook.datasets.mnist import load_mnist, parse_idx, read_idx, download_mnist, md5sum

SHARED = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
HAVE_SHARED = (SHARED / "t10k-images-idx3-ubyte.gz").is_file() and \
    (SHARED / "t10k-labels-idx1-ubyte.gz").is_file()


def idx_bytes(arr, type_byte=0x08):
    arr = np.asarray(arr)
    header = bytes([0, 0, type_byte, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_gz(path, data):
    with gzip.open(path, "wb") as f:
        f.write(data)
    return path


def small_set(folder, n=5, seed=0):
    """A fake 'test' pair of IDX files with n 28x28 images; returns (images, labels)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    write_gz(folder / "t10k-images-idx3-ubyte.gz", idx_bytes(images))
    write_gz(folder / "t10k-labels-idx1-ubyte.gz", idx_bytes(labels))
    return images, labels


def fake_md5(monkeypatch, folder):
    for name in mnist.MNIST_FILES["test"]:
        monkeypatch.setitem(mnist.MNIST_MD5, name, md5sum(folder / name))


# --------------------------------------------------------------------------------------------
# IDX parsing

def test_parse_idx_uint8_roundtrip(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(parse_idx(idx_bytes(arr)), arr)
    path = write_gz(tmp_path / "a-idx3-ubyte.gz", idx_bytes(arr))
    out = read_idx(path)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4) and np.array_equal(out, arr)
    raw = tmp_path / "a-idx3-ubyte"
    raw.write_bytes(idx_bytes(arr))
    assert np.array_equal(read_idx(raw), arr)


@pytest.mark.parametrize("dtype,code", [(np.int16, 0x0B), (np.int32, 0x0C), (np.float32, 0x0D),
                                        (np.float64, 0x0E), (np.int8, 0x09)])
def test_parse_idx_big_endian_types(dtype, code):
    arr = (np.arange(6) - 3).astype(dtype).reshape(3, 2) * 3
    out = parse_idx(idx_bytes(arr, code))
    assert out.dtype == np.dtype(dtype) and np.array_equal(out, arr)


def test_wrong_magic():
    data = bytearray(idx_bytes(np.zeros((2, 2), np.uint8)))
    data[0] = 1
    with pytest.raises(ValueError, match="not an IDX file"):
        parse_idx(bytes(data))
    data[0], data[2] = 0, 0x07
    with pytest.raises(ValueError, match="not an IDX file"):
        parse_idx(bytes(data))


def test_truncated_and_trailing():
    data = idx_bytes(np.zeros((3, 4), np.uint8))
    with pytest.raises(ValueError, match="truncated"):
        parse_idx(data[:-1])
    with pytest.raises(ValueError, match="truncated header"):
        parse_idx(data[:7])
    with pytest.raises(ValueError, match="too short"):
        parse_idx(b"\x00\x00")
    with pytest.raises(ValueError, match="trailing bytes"):
        parse_idx(data + b"\x00")


def test_truncated_gzip_is_a_clear_error(tmp_path):
    good = write_gz(tmp_path / "x.gz", idx_bytes(np.zeros((10, 28, 28), np.uint8)))
    bad = tmp_path / "bad.gz"
    bad.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(ValueError, match="cannot be read as a gzip IDX file"):
        read_idx(bad)


# --------------------------------------------------------------------------------------------
# load_mnist on small files written here

def test_load_small_set(tmp_path, monkeypatch):
    images, labels = small_set(tmp_path)
    fake_md5(monkeypatch, tmp_path)
    X, y = load_mnist(tmp_path)
    assert X.dtype == np.uint8 and X.shape == (5, 28, 28) and np.array_equal(X, images)
    assert np.array_equal(y, labels)
    Xf, _ = load_mnist(tmp_path, as_float=True)
    assert Xf.dtype == np.float64 and np.allclose(Xf, images / 255.0)


def test_md5_mismatch_is_a_clear_error(tmp_path):
    small_set(tmp_path)      # not the real files: md5 differs from the published one
    with pytest.raises(ValueError, match="does not match the published MNIST md5"):
        load_mnist(tmp_path)
    X, _ = load_mnist(tmp_path, verify=False)
    assert X.shape == (5, 28, 28)


def test_missing_files_offline_message(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_mnist(tmp_path / "nowhere")
    text = str(err.value)
    assert "t10k-images-idx3-ubyte.gz" in text and "download=True" in text and "path=" in text


def test_bad_kind():
    with pytest.raises(ValueError, match="kind must be 'train' or 'test'"):
        load_mnist(kind="validation")


def test_default_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MLBOOK_DATA", str(tmp_path))
    assert mnist.default_mnist_dir() == tmp_path / "mnist"


# --------------------------------------------------------------------------------------------
# downloading (no internet here: a file:// mirror and a monkeypatched opener)

def test_download_from_file_url(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    images, labels = small_set(mirror)
    fake_md5(monkeypatch, mirror)
    target = tmp_path / "data"
    X, y = None, None
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", ("file:///nonexistent/", mirror.as_uri() + "/"))
    X, y = load_mnist(target, download=True)
    assert np.array_equal(X, images) and np.array_equal(y, labels)
    assert sorted(p.name for p in target.iterdir()) == sorted(mnist.MNIST_FILES["test"])


def test_download_rejects_corrupt_file_and_says_what_to_do(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    small_set(mirror)          # md5 does not match the published one
    target = tmp_path / "data"
    with pytest.raises(OSError) as err:
        download_mnist(target, mirrors=(mirror.as_uri() + "/",))
    text = str(err.value)
    assert "does not match" in text and "offline" in text and str(target) in text
    assert list(target.iterdir()) == []          # nothing half-written left behind


def test_download_offline_opener(tmp_path):
    calls = []

    def offline(url, timeout):
        calls.append(url)
        raise OSError("Network is unreachable")

    with pytest.raises(OSError, match="could not download t10k-images"):
        download_mnist(tmp_path, opener=offline)
    assert calls == [m + "t10k-images-idx3-ubyte.gz" for m in mnist.MNIST_MIRRORS]


def test_download_skips_present_files(tmp_path, monkeypatch):
    small_set(tmp_path)

    def never(url, timeout):
        raise AssertionError("should not download")

    assert download_mnist(tmp_path, opener=never) == tmp_path


# --------------------------------------------------------------------------------------------
# the real MNIST test set, bundled with the package (no network, no cache, no ../shared)

def test_bundled_files_are_package_data():
    for name in mnist.MNIST_FILES["test"]:
        assert (mnist.BUNDLED_DIR / name).is_file()
        assert md5sum(mnist.BUNDLED_DIR / name) == mnist.MNIST_MD5[name]
    notice = (mnist.BUNDLED_DIR / "NOTICE.md").read_text(encoding="utf-8")
    for who in ("LeCun", "Cortes", "Burges", "MNIST database"):
        assert who in notice and who in mnist.__doc__


def test_real_test_set_from_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBOOK_DATA", str(tmp_path / "empty-cache"))   # no cache to fall back on

    def no_network(*args, **kwargs):
        raise AssertionError("the bundled test set must not touch the network")

    monkeypatch.setattr(mnist.urllib.request, "urlopen", no_network)
    X, y = load_mnist(kind="test")
    assert X.shape == (10_000, 28, 28) and X.dtype == np.uint8
    assert y.shape == (10_000,) and y.dtype == np.uint8
    assert X.min() == 0 and X.max() == 255
    assert np.array_equal(np.bincount(y), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    assert list(y[:10]) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # the digits are centred: almost no ink in a 2-pixel border, plenty in the middle
    border = np.concatenate([X[:, :2, :].ravel(), X[:, -2:, :].ravel(), X[:, :, :2].ravel()])
    assert border.mean() < 1.0 and X[:, 10:18, 10:18].mean() > 100
    assert not (tmp_path / "empty-cache").exists()


def test_damaged_bundled_file_is_named(tmp_path, monkeypatch):
    fake = tmp_path / "data"
    fake.mkdir()
    small_set(fake)                     # stands in for a damaged bundled copy
    monkeypatch.setattr(mnist, "BUNDLED_DIR", fake.resolve())
    with pytest.raises(ValueError) as err:
        load_mnist(kind="test")
    text = str(err.value)
    assert "bundled MNIST file t10k-images-idx3-ubyte.gz is damaged" in text
    assert "9fb629c4189551a2d022fa330f9573f3" in text and "reinstall" in text.lower()


def test_training_digits_still_need_the_downloader(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBOOK_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError) as err:
        load_mnist(kind="train")
    text = str(err.value)
    assert "train-images-idx3-ubyte.gz" in text and "download=True" in text
    assert str(tmp_path / "mnist") in text


@pytest.mark.skipif(not HAVE_SHARED, reason="no independent reference copy of the MNIST test "
                    f"files at {SHARED} (../shared exists only on the course's CI and dev machines)")
def test_bundled_copy_equals_the_independent_reference():
    for name in mnist.MNIST_FILES["test"]:
        assert md5sum(SHARED / name) == mnist.MNIST_MD5[name]
        assert hashlib.md5((SHARED / name).read_bytes()).hexdigest() == \
            hashlib.md5((mnist.BUNDLED_DIR / name).read_bytes()).hexdigest()


def test_download_real_files_via_file_url(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", (mnist.BUNDLED_DIR.as_uri() + "/",))
    X, y = load_mnist(tmp_path / "fresh", download=True)
    assert X.shape == (10_000, 28, 28) and y[0] == 7


# --------------------------------------------------------------------------------------------
# the course split

def test_course_split_is_fixed_stratified_and_disjoint():
    (Xtr, ytr), (Xte, yte) = mnist.course_split()
    assert Xtr.shape == (8000, 28, 28) and Xte.shape == (2000, 28, 28)
    assert Xtr.dtype == np.float64 and 0.0 <= Xtr.min() and Xtr.max() == 1.0
    assert ytr.dtype == np.int64 and yte.dtype == np.int64
    full = np.bincount(load_mnist(kind="test")[1])
    # stratified: each class keeps its share, within one digit of rounding
    assert np.all(np.abs(np.bincount(ytr) - 0.8 * full) <= 1)
    assert np.array_equal(np.bincount(ytr) + np.bincount(yte), full)
    # disjoint and complete: every one of the 10,000 images exactly once
    X, _ = load_mnist(kind="test")
    keys = {img.tobytes() for img in X}
    both = np.concatenate([Xtr, Xte])
    assert len({(img * 255).round().astype(np.uint8).tobytes() for img in both}) == len(keys)
    # fixed: the same split every time; a different seed gives a different one
    (Xtr2, ytr2), _ = mnist.course_split()
    assert np.array_equal(Xtr, Xtr2) and np.array_equal(ytr, ytr2)
    (Xtr3, _), _ = mnist.course_split(seed=1)
    assert not np.array_equal(Xtr, Xtr3)


def test_course_split_sizes_and_bad_arguments():
    (Xtr, ytr), (Xte, yte) = mnist.course_split(1000, as_float=False)
    assert len(ytr) == 1000 and len(yte) == 9000 and Xtr.dtype == np.uint8
    with pytest.raises(ValueError, match="n_train"):
        mnist.course_split(5)
    with pytest.raises(TypeError, match="n_train"):
        mnist.course_split(8000.0)
    with pytest.raises(TypeError, match="as_float"):
        mnist.course_split(as_float="yes")


def test_pyproject_ships_the_bundled_files_as_package_data():
    tomllib = pytest.importorskip("tomllib")
    root = pathlib.Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["mlbook.datasets"]
    for name in [*mnist.MNIST_FILES["test"], "NOTICE.md"]:
        assert any(pathlib.PurePath("data", name).match(p) for p in patterns), name
