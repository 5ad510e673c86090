"""DATASET=tiny-imagenet: the official layout, DATA_CLASSES, the cache, errors, the download,
and the shared 100-class zip (../shared/data/tiny-imagenet-100.zip) loaded and trained on."""
import hashlib
import http.server
import os
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from datafiles import smooth_image, zip_folder
from regnet.data import cache as images
from regnet.data import datasets as data
from regnet.data import tiny_imagenet
from regnet.params import ParamError, resolve

SHARED_ZIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / \
    "tiny-imagenet-100.zip"
WNIDS = ["n01443537", "n01629819", "n01641577", "n01644900", "n01698640"]
WORDS = {"n01443537": "goldfish, Carassius auratus", "n01629819": "European fire salamander",
         "n01641577": "bullfrog, Rana catesbeiana", "n01644900": "tailed frog",
         "n01698640": "American alligator"}


def layout(root: Path, wnids=WNIDS, per_class=3, val_per_class=2, seed=0) -> Path:
    """A small Tiny ImageNet tree: 64 px JPEGs, one greyscale and one CMYK among them."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "wnids.txt").write_text("".join(f"{w}\n" for w in wnids))
    (root / "words.txt").write_text("".join(f"{w}\t{WORDS.get(w, w)}\n" for w in wnids))
    for w in wnids:
        folder = root / "train" / w / "images"
        folder.mkdir(parents=True)
        for k in range(per_class):
            smooth_image(rng, 64, 64).save(folder / f"{w}_{k}.JPEG", quality=90)
    (root / "val" / "images").mkdir(parents=True)
    lines = []
    for i in range(val_per_class * len(wnids)):
        smooth_image(rng, 64, 64).save(root / "val" / "images" / f"val_{i}.JPEG", quality=90)
        lines.append(f"val_{i}.JPEG\t{wnids[i % len(wnids)]}\t0\t0\t63\t63\n")
    (root / "val" / "val_annotations.txt").write_text("".join(lines))
    first = root / "train" / wnids[0] / "images"
    Image.open(first / f"{wnids[0]}_0.JPEG").convert("L").save(first / f"{wnids[0]}_0.JPEG")
    Image.open(first / f"{wnids[0]}_1.JPEG").convert("CMYK").save(first / f"{wnids[0]}_1.JPEG")
    return root


def _values(data_dir, **kw):
    return resolve(overrides={"DATASET": "tiny-imagenet", "DATA_DIR": str(data_dir),
                              "PROGRESS": False, "DATA_WORKERS": 0, "DATA_DOWNLOAD": False,
                              **kw})


# --- the layout ----------------------------------------------------------------------------

def test_the_official_layout_loads_with_names_from_words_and_every_image_rgb(tmp_path):
    ds = data.load(_values(layout(tmp_path / "tiny-imagenet-200")))
    assert ds.classes == ["goldfish", "European fire salamander", "bullfrog", "tailed frog",
                          "American alligator"]
    assert ds.train_x.shape == (15, 3, 64, 64) and ds.test_x.shape == (10, 3, 64, 64)
    assert ds.train_y.bincount().tolist() == [3] * 5 and ds.test_y.bincount().tolist() == [2] * 5
    assert (ds.crop, ds.resize, ds.test_crop, ds.augment) == (56, 64, 56, "rrc")
    grey = ds.train_x[ds.train_y == 0][0]  # goldfish_0.JPEG was saved as greyscale
    assert torch.equal(grey[0], grey[1]) and torch.equal(grey[1], grey[2])


def test_validation_labels_come_from_val_annotations(tmp_path):
    root = layout(tmp_path / "t")
    ds = data.load(_values(root))
    expected = images.decode(root / "val" / "images" / "val_3.JPEG", 64)  # labelled wnids[3]
    matches = [i for i in range(len(ds.test_y)) if np.array_equal(ds.test_x[i].numpy(), expected)]
    assert [int(ds.test_y[i]) for i in matches] == [3]


@pytest.mark.parametrize("where", ["folder", "parent", "zip"])
def test_data_dir_may_be_the_folder_its_parent_or_a_folder_holding_the_zip(tmp_path, where):
    tree = layout(tmp_path / "src" / "tiny-imagenet-5")
    if where == "folder":
        data_dir = tree
    elif where == "parent":
        data_dir = tree.parent
    else:
        data_dir = tmp_path / "zips"
        data_dir.mkdir()
        zip_folder(tree, data_dir / "tiny-imagenet-5.zip", prefix="tiny-imagenet-5/")
    ds = data.load(_values(data_dir))
    assert ds.num_classes == 5 and len(ds.train_y) == 15 and len(ds.test_y) == 10


def test_a_zip_is_extracted_once_and_not_read_again(tmp_path, monkeypatch):
    tree = layout(tmp_path / "src" / "tiny-imagenet-5")
    data_dir = tmp_path / "zips"
    data_dir.mkdir()
    zip_folder(tree, data_dir / "tiny-imagenet-5.zip", prefix="tiny-imagenet-5/")
    first = data.load(_values(data_dir))
    monkeypatch.setattr(tiny_imagenet.download, "safe_extract",
                        lambda *a: pytest.fail("extracted again"))
    monkeypatch.setattr(images, "decode", lambda *a: pytest.fail("decoded again"))
    second = data.load(_values(data_dir))
    assert torch.equal(first.train_x, second.train_x)


def test_a_copied_or_touched_zip_is_the_same_data_and_a_changed_one_is_not(tmp_path,
                                                                            monkeypatch):
    tree = layout(tmp_path / "src" / "tiny-imagenet-5")
    first, copy = tmp_path / "a", tmp_path / "b"
    first.mkdir(), copy.mkdir()
    zip_folder(tree, first / "tiny-imagenet-5.zip", prefix="tiny-imagenet-5/")
    data.load(_values(first))
    before = data.data_fingerprint(_values(first).data)
    (copy / "tiny-imagenet-5.zip").write_bytes((first / "tiny-imagenet-5.zip").read_bytes())
    os.utime(first / "tiny-imagenet-5.zip", ns=(1, 1))  # touched: a new mtime, same bytes
    assert data.data_fingerprint(_values(first).data) == before
    assert data.data_fingerprint(_values(copy).data) == before
    monkeypatch.setattr(tiny_imagenet.download, "safe_extract",
                        lambda *a: pytest.fail("extracted again"))
    data.load(_values(first))  # the touched zip is not extracted again
    monkeypatch.undo()
    smooth_image(np.random.default_rng(9), 64, 64).save(
        tree / "train" / WNIDS[1] / "images" / f"{WNIDS[1]}_0.JPEG", quality=90)
    zip_folder(tree, copy / "tiny-imagenet-5.zip", prefix="tiny-imagenet-5/")
    assert data.data_fingerprint(_values(copy).data) not in (None, before)


def test_the_cache_is_reused_and_rebuilt_when_a_file_changes(tmp_path, monkeypatch):
    root = layout(tmp_path / "t")
    first = data.load(_values(root))
    real, calls = images.decode, []
    monkeypatch.setattr(images, "decode", lambda *a: calls.append(a) or real(*a))
    data.load(_values(root))
    assert calls == []  # unchanged files: nothing decoded
    changed = root / "train" / WNIDS[2] / "images" / f"{WNIDS[2]}_1.JPEG"
    smooth_image(np.random.default_rng(7), 64, 64).save(changed, quality=90)
    again = data.load(_values(root))
    assert calls and len(again.train_y) == len(first.train_y)
    assert not torch.equal(again.train_x, first.train_x)


# --- DATA_CLASSES --------------------------------------------------------------------------

def _wnids(k):
    return [f"n{i:08d}" for i in range(k)]


def test_a_number_of_classes_takes_evenly_spaced_wnids_in_sorted_order(tmp_path):
    official = _wnids(200)
    half = tiny_imagenet.select(official, 100, tmp_path)
    assert half == official[::2]  # every second wnid: the shared 100-class zip's
    assert tiny_imagenet.select(official, 10, tmp_path) == official[::20]
    assert tiny_imagenet.select(half, 10, tmp_path) == tiny_imagenet.select(official, 10, tmp_path)
    assert tiny_imagenet.select(_wnids(10), 4, tmp_path) == [_wnids(10)[i] for i in (0, 2, 5, 7)]
    assert tiny_imagenet.select(official, None, tmp_path) == official


def test_a_list_of_classes_takes_those_wnids_labelled_in_sorted_order(tmp_path):
    ds = data.load(_values(layout(tmp_path / "t"), DATA_CLASSES=[WNIDS[4], WNIDS[1]]))
    assert ds.classes == ["European fire salamander", "American alligator"]
    assert ds.train_y.bincount().tolist() == [3, 3] and ds.test_y.bincount().tolist() == [2, 2]


def test_a_class_subset_decodes_only_its_images_and_keeps_a_cache_of_its_own(tmp_path):
    root = layout(tmp_path / "t")
    two = data.load(_values(root, DATA_CLASSES=2))
    whole = data.load(_values(root))
    assert two.classes == ["goldfish", "bullfrog"] and len(two.train_y) == 6
    assert torch.equal(two.train_x, whole.train_x[(whole.train_y == 0) | (whole.train_y == 2)])
    assert len(list((root / ".regnet-cache").glob("train*px.npy"))) == 2


def test_the_class_count_follows_data_classes_when_building_the_network():
    def group(classes):
        return resolve(overrides={"DATASET": "tiny-imagenet", "DATA_CLASSES": classes}).data
    d = data.dataset_defaults("tiny-imagenet", group(10))
    assert d["DATA_NUM_CLASSES"] == 10 and d["augment"] == "rrc"
    assert data.dataset_defaults("tiny-imagenet", group(["a", "b"]))["DATA_NUM_CLASSES"] == 2


@pytest.mark.parametrize("chosen, message", [
    (9, "DATA_CLASSES=9 but .*wnids.txt lists 5 classes"),
    (["n01443537", "n09999999"], "DATA_CLASSES names n09999999, which .*wnids.txt does not list"),
    (["n01443537", "n01443537"], "n01443537 more than once"),
])
def test_a_class_choice_the_data_cannot_meet_is_a_one_line_error(tmp_path, chosen, message):
    with pytest.raises(ParamError, match=message) as e:
        data.load(_values(layout(tmp_path / "t"), DATA_CLASSES=chosen))
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("text, value", [("10", 10), ("[n01, n02]", ["n01", "n02"]),
                                         ("n01,n02", ["n01", "n02"]), ("", None)])
def test_data_classes_reads_a_number_or_a_list_from_any_source(text, value):
    assert resolve(sets=[f"DATA_CLASSES={text}"])["DATA_CLASSES"] == value
    assert resolve(overrides={"DATA_CLASSES": text})["DATA_CLASSES"] == value


@pytest.mark.parametrize("bad", [0, -3, 2.5, [], [1, 2], True])
def test_a_bad_data_classes_value_is_a_one_line_error(bad):
    with pytest.raises(ParamError, match="DATA_CLASSES="):
        resolve(overrides={"DATA_CLASSES": bad})


def test_data_classes_with_another_dataset_is_an_error():
    with pytest.raises(ParamError, match="DATA_CLASSES picks Tiny ImageNet classes"):
        data.load(resolve(overrides={"DATA_CLASSES": 10, "DATA_SYNTHETIC_TRAIN": 10}))


# --- errors before any decoding ------------------------------------------------------------

def _no_decoding(monkeypatch):
    monkeypatch.setattr(images, "build_cache", lambda *a, **k: pytest.fail("decoded"))


def test_val_annotations_naming_an_unknown_class_is_a_one_line_error(tmp_path, monkeypatch):
    root = layout(tmp_path / "t")
    path = root / "val" / "val_annotations.txt"
    path.write_text(path.read_text() + "val_0.JPEG\tn09999999\t0\t0\t63\t63\n")
    _no_decoding(monkeypatch)
    with pytest.raises(ParamError, match=r"line 11: val_0.JPEG is labelled n09999999, a class "
                                         r"that .*wnids.txt does not list") as e:
        data.load(_values(root))
    assert "\n" not in str(e.value)


def test_a_missing_val_annotations_file_is_a_one_line_error(tmp_path, monkeypatch):
    root = layout(tmp_path / "t")
    (root / "val" / "val_annotations.txt").unlink()
    _no_decoding(monkeypatch)
    with pytest.raises(ParamError, match=r"val_annotations.txt is missing") as e:
        data.load(_values(root))
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("damage, message", [
    (lambda r: (r / "val" / "images" / "val_4.JPEG").unlink(), r"labels .*val_4.JPEG, which "
     r"does not exist"),
    (lambda r: [p.unlink() for p in (r / "train" / WNIDS[3] / "images").iterdir()],
     f"{WNIDS[3]}/images has no images, but wnids.txt lists {WNIDS[3]}"),
    (lambda r: (r / "val" / "val_annotations.txt").write_text("just one field\n"),
     "line 1 is not `file <TAB> wnid"),
])
def test_a_broken_layout_says_what_is_wrong_in_one_line(tmp_path, monkeypatch, damage, message):
    root = layout(tmp_path / "t")
    damage(root)
    _no_decoding(monkeypatch)
    with pytest.raises(ParamError, match=message) as e:
        data.load(_values(root))
    assert "\n" not in str(e.value)


def test_two_layouts_in_data_dir_ask_which_one(tmp_path):
    layout(tmp_path / "a")
    layout(tmp_path / "b", seed=1)
    with pytest.raises(ParamError, match="holds 2 Tiny ImageNet folders \\(a, b\\)"):
        data.load(_values(tmp_path))


def test_nothing_there_and_downloads_off_says_where_the_zip_goes(tmp_path):
    with pytest.raises(ParamError, match="DATA_DOWNLOAD is false; put http://cs231n.stanford"
                                         ".edu/tiny-imagenet-200.zip"):
        data.load(_values(tmp_path))


# --- the download (from a server on 127.0.0.1, never the real host) -------------------------

class _Serve:
    """Serve `body` at http://127.0.0.1:PORT/tiny-imagenet-200.zip, announcing `length`."""

    def __init__(self, body: bytes, length: int | None = None):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(length or len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/tiny-imagenet-200.zip"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def official(tmp_path, monkeypatch):
    """A small zip in the official layout; the module's size and MD5 are set to its own."""
    tree = layout(tmp_path / "src" / "tiny-imagenet-200")
    archive = zip_folder(tree, tmp_path / "official.zip", prefix="tiny-imagenet-200/")
    body = archive.read_bytes()
    monkeypatch.setattr(tiny_imagenet, "OFFICIAL_SIZE", len(body))
    monkeypatch.setattr(tiny_imagenet, "OFFICIAL_MD5", hashlib.md5(body).hexdigest())
    return body


def _download_values(data_dir):
    return _values(data_dir, DATA_DOWNLOAD=True)


def test_the_official_zip_is_downloaded_checked_and_extracted(tmp_path, official, monkeypatch):
    with _Serve(official) as server:
        monkeypatch.setattr(tiny_imagenet, "OFFICIAL_URL", server.url)
        ds = data.load(_download_values(tmp_path / "dl"))
    assert ds.num_classes == 5 and len(ds.train_y) == 15
    assert (tmp_path / "dl" / "tiny-imagenet-200.zip").read_bytes() == official
    assert not list((tmp_path / "dl").glob("*.part-*"))


@pytest.mark.parametrize("serve, message", [
    (lambda body: (body[:-10] + b"0" * 10, None), "MD5 .* is not the official"),
    (lambda body: (body + b"extra", None), "bytes, not the official"),
    (lambda body: (body[:1000], len(body)), "the transfer ended after 1000 of"),
])
def test_a_download_that_is_not_the_official_zip_is_not_kept(tmp_path, official, monkeypatch,
                                                            serve, message):
    body, length = serve(official)
    with _Serve(body, length) as server:
        monkeypatch.setattr(tiny_imagenet, "OFFICIAL_URL", server.url)
        with pytest.raises(ParamError, match=message) as e:
            data.load(_download_values(tmp_path / "dl"))
    assert "\n" not in str(e.value)
    assert list((tmp_path / "dl").iterdir()) == []  # neither the zip nor a partial file


# --- the shared 100-class zip: real photographs ------------------------------------------------

needs_shared = pytest.mark.skipif(not SHARED_ZIP.is_file(),
                                  reason=f"{SHARED_ZIP} is absent (CI has ../shared)")


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory):
    """A folder holding (a link to) the shared zip: extracted and cached once per session."""
    folder = tmp_path_factory.mktemp("tiny-imagenet-100")
    (folder / SHARED_ZIP.name).symlink_to(SHARED_ZIP)
    return folder


@needs_shared
def test_the_shared_zip_loads_as_50000_and_5000_images_of_100_classes(shared_dir):
    ds = data.load(_values(shared_dir, DATA_WORKERS=2))
    assert ds.train_x.shape == (50000, 3, 64, 64) and ds.test_x.shape == (5000, 3, 64, 64)
    assert ds.train_y.bincount().tolist() == [500] * 100
    assert ds.test_y.bincount().tolist() == [50] * 100
    assert ds.skipped == 0 and ds.classes[0] == "goldfish"
    x = ds.train_x
    grey = ((x[:, 0] == x[:, 1]) & (x[:, 1] == x[:, 2])).flatten(1).all(1)
    assert 0.01 < grey.float().mean() < 0.03  # about 2% greyscale JPEGs, now three equal planes


@needs_shared
def test_a_short_run_on_ten_real_classes_learns_well_above_chance(shared_dir):
    from regnet.engine.loop import train
    # 64 px photographs, 56 px random resized crops, a 5-stage net of 8..128 channels (7.5 M
    # MACs), 3 epochs: 39% on the 500 validation images (2026-11-22), about a minute on a core
    values = _values(shared_dir, DATA_CLASSES=10, REGNETX="custom", MODEL_TAIL_OUT_CHANNELS=8,
                     MODEL_CHANNELS=[8, 16, 32, 64, 128], MODEL_BLOCKS=[1, 1, 1, 1, 1],
                     DATA_BATCH_SIZE=64, TRAINING_LR_MAX=0.2, TRAINING_LR_INIT_EPOCHS=0,
                     TRAINING_LR_FINAL_EPOCHS=3, DEVICE="cpu")
    summary = train(values)
    assert summary["test_acc"] > 25  # chance is 10%


# --- the tiny profile -------------------------------------------------------------------------

def test_the_tiny_profile_is_the_course_recipe_on_100_tiny_imagenet_classes():
    from regnet.report import notebook
    tiny = notebook.resolve({"PROFILE": "tiny"})
    course = notebook.resolve({"PROFILE": "course"})
    assert (tiny["DATASET"], tiny["DATA_CLASSES"], data.settings(tiny.data)["DATA_AUGMENT"]) == \
        ("tiny-imagenet", 100, "rrc")
    same = {k for k in course if k not in ("DATASET", "DATA_CLASSES", "DATA_AUGMENT", "PROFILE")}
    assert {k: tiny[k] for k in same} == {k: course[k] for k in same}
    assert data.settings(tiny.data)["DATA_CROP"] == 56 and data.settings(tiny.data)["DATA_RESIZE"] == 64


def test_tiny_profile_reports_say_they_are_tiny_imagenet_not_the_course_data():
    from regnet.report import notebook
    html = notebook.header_html("2. Training", notebook.resolve({"PROFILE": "tiny"}))
    assert "TINY IMAGENET - not the course data" in html and "PIPELINE DEMO" not in html
    course = notebook.header_html("2. Training", notebook.resolve({"PROFILE": "course"}))
    assert "TINY IMAGENET" not in course
