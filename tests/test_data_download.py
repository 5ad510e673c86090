"""Course archives: atomic download, git blob SHA-1 checks, safe extraction, the course loader."""
import hashlib
import stat
import zipfile

import pytest
import torch

from datafiles import image_tree, zip_folder
from regnet import data
from regnet.data import cache as images
from regnet.data import download
from regnet.params import ParamError, resolve


def _blob(path):
    raw = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()


def test_git_blob_sha1_equals_what_git_computes_for_a_blob(tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"hello\n")
    assert download.git_blob_sha1(f) == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object


def test_download_from_a_url_writes_the_verified_file(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"abc" * 1000)
    dest = tmp_path / "out" / "Train1.zip"
    download.download(src.as_uri(), dest, _blob(src), progress=False)
    assert dest.read_bytes() == src.read_bytes()
    assert [p.name for p in dest.parent.iterdir()] == ["Train1.zip"]  # no temp file left behind


def test_a_failing_download_leaves_neither_final_nor_partial_file(tmp_path, monkeypatch):
    class Broken:
        headers = {"Content-Length": "100"}

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def read(self, n):
            raise ConnectionResetError("connection dropped mid-transfer")

    monkeypatch.setattr(download.urllib.request, "urlopen", lambda url, timeout: Broken())
    dest = tmp_path / "Val1.zip"
    with pytest.raises(ParamError, match="could not download"):
        download.download("https://example.invalid/Val1.zip", dest, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_a_download_with_the_wrong_hash_is_deleted_and_reported(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"not the course archive")
    dest = tmp_path / "out" / "Train2.zip"
    with pytest.raises(ParamError, match=r"Train2.zip: git blob SHA-1 .* deleted"):
        download.download(src.as_uri(), dest, "0" * 40, progress=False)
    assert list(dest.parent.iterdir()) == []


@pytest.mark.parametrize("allow", [False, True], ids=["downloads-off", "downloads-on"])
def test_an_existing_archive_with_the_wrong_hash_is_kept_and_reported(tmp_path, allow):
    tree = image_tree(tmp_path / "t", classes=("a",), per_class=1)
    (tmp_path / "data").mkdir()
    archive = zip_folder(tree, tmp_path / "data" / "Train1.zip")
    before = archive.read_bytes()
    says = "DATA_DOWNLOAD is false, so put the course's Train1.zip" if not allow \
        else "move it away and run again"
    with pytest.raises(ParamError, match=f"Train1.zip is kept; {says}") as e:
        download.fetch_course(tmp_path / "data", archives={"Train1.zip": "1" * 40},
                              allow_download=allow)
    assert archive.read_bytes() == before  # a file the project did not write stays
    assert "download it afresh" not in str(e.value) or allow


def _zip_with(path, names):
    with zipfile.ZipFile(path, "w") as zf:
        for n in names:
            zf.writestr(n, b"x")
    return path


@pytest.mark.parametrize("evil", ["../escape.txt", "a/../../escape.txt", "/abs/escape.txt"])
def test_an_archive_entry_escaping_the_target_refuses_the_whole_archive(tmp_path, evil):
    archive = _zip_with(tmp_path / "evil.zip", ["ok/first.txt", evil, "ok/last.txt"])
    target = tmp_path / "deep" / "target"
    target.parent.mkdir()
    with pytest.raises(ParamError, match="refused, nothing extracted"):
        download.safe_extract(archive, target)
    assert list(target.parent.iterdir()) == []
    assert not (tmp_path / "escape.txt").exists()


def test_a_symbolic_link_entry_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("ok/link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ParamError, match="refused"):
        download.safe_extract(archive, tmp_path / "target")
    assert not (tmp_path / "target").exists()


@pytest.fixture
def course_archives(tmp_path, monkeypatch):
    """Two train archives (one wrapper folder each) and a val archive, served from file://."""
    served = tmp_path / "served"
    served.mkdir()
    trees = {"Train1.zip": image_tree(tmp_path / "t1", ("ant", "bee"), 3, seed=1),
             "Train2.zip": image_tree(tmp_path / "t2", ("ant", "bee"), 2, seed=2),
             "Val1.zip": image_tree(tmp_path / "v1", ("ant", "bee"), 2, seed=3)}
    hashes = {}
    for name, tree in trees.items():
        zip_folder(tree, served / name, prefix="Data/")
        hashes[name] = _blob(served / name)
    monkeypatch.setattr(download, "COURSE_ARCHIVES", hashes)
    monkeypatch.setattr(download, "COURSE_URL", served.as_uri() + "/")
    return served


def test_course_downloads_verifies_extracts_and_decodes_its_archives(tmp_path, course_archives):
    values = resolve(overrides={"DATASET": "course", "DATA_DIR": str(tmp_path / "course"),
                                "PROGRESS": False, "DATA_WORKERS": 0})
    ds = data.load(values)
    assert ds.classes == ["ant", "bee"]
    assert ds.train_x.shape == (10, 3, 64, 64) and ds.train_x.dtype == torch.uint8
    assert ds.test_x.shape == (4, 3, 64, 64)
    assert torch.equal(torch.bincount(ds.train_y), torch.tensor([5, 5]))
    assert (ds.crop, ds.resize, ds.test_crop, ds.num_classes) == (56, 64, 56, 2)


def test_course_reuses_its_cache_without_decoding_again(tmp_path, course_archives, monkeypatch):
    values = resolve(overrides={"DATASET": "course", "DATA_DIR": str(tmp_path / "course"),
                                "PROGRESS": False, "DATA_WORKERS": 0})
    first = data.load(values)

    def no_decoding(*a, **k):
        raise AssertionError("decoded again although the cache matches")
    monkeypatch.setattr(images, "decode", no_decoding)
    monkeypatch.setattr(download, "git_blob_sha1", no_decoding)  # nor re-hashes the archives
    second = data.load(values)
    assert torch.equal(first.train_x, second.train_x)
    assert torch.equal(first.test_y, second.test_y)


def test_course_without_archives_and_downloads_off_says_where_they_go(tmp_path):
    values = resolve(overrides={"DATASET": "course", "DATA_DIR": str(tmp_path),
                                "DATA_DOWNLOAD": False})
    with pytest.raises(ParamError, match=r"Train1.zip, .* missing .* from https://.*Val1.zip -> "):
        data.load(values)


def test_missing_course_data_names_all_six_archives_and_where_each_goes(tmp_path):
    root = tmp_path / "course"
    with pytest.raises(ParamError) as e:
        download.fetch_course(root, allow_download=False)
    message = str(e.value)
    assert "\n" not in message and "DATA_DOWNLOAD is false" in message
    for name in ("Train1.zip", "Train2.zip", "Train3.zip", "Train4.zip", "Train5.zip",
                 "Val1.zip"):
        assert f"{name} -> {root / name}" in message
    assert download.COURSE_URL in message


def test_an_offline_course_download_names_all_six_archives(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise OSError("network is unreachable")
    monkeypatch.setattr(download.urllib.request, "urlopen", offline)
    with pytest.raises(ParamError) as e:
        download.fetch_course(tmp_path, progress=False)
    message = str(e.value)
    assert "could not download" in message and "network is unreachable" in message
    assert all(f"{n} -> {tmp_path / n}" in message for n in download.COURSE_ARCHIVES)
    assert list(tmp_path.iterdir()) == []  # nothing half-downloaded
