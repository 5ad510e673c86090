"""The shape of the house: layers import only downwards, one config, one atomic writer,
notebooks reviewed as percent scripts that stay in sync with the .ipynb files."""
import ast
import dataclasses
import os
from pathlib import Path

import pytest

from regnet import files
from regnet.params import GROUPS, PARAMS, ParamError, identity, resolve

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "regnet"
# Lower layers first; a module may import its own layer and the ones before it.
LAYERS = [("errors", "files", "lock", "progress", "colab", "provenance", "boundedyaml"), ("arch",), ("params", "vocabulary", "catalog"), ("data",), ("engine",),
          ("study",), ("report",), ("cli", "__main__", "__init__")]


def _layer(module: str) -> int:
    top = module.split(".")[0]
    found = [i for i, names in enumerate(LAYERS) if top in names]
    assert found, f"regnet.{top} belongs to no layer: add it to LAYERS and README's layout"
    return found[0]


def _imports(path: Path) -> set[str]:
    """The regnet modules a file imports (relative imports resolved), at any depth."""
    package = path.relative_to(LIB).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[:len(package) - node.level + 1])
            if node.module:
                found.add(".".join(base + node.module.split(".")))
            else:
                found.update(".".join(base + [a.name]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("regnet."):
            found.add(node.module.removeprefix("regnet."))
    return {m for m in found if m}


@pytest.mark.parametrize("path", sorted(LIB.rglob("*.py")), ids=lambda p: str(p.relative_to(LIB)))
def test_lower_layers_never_import_higher_ones(path):
    own = _layer(".".join(path.relative_to(LIB).with_suffix("").parts))
    higher = sorted(m for m in _imports(path) if _layer(m) > own)
    assert not higher, f"{path.relative_to(LIB)} imports higher layers: {higher}"


def test_every_subpackage_says_what_it_holds():
    for init in LIB.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init.parent.name}/__init__.py has no docstring"
        for module in init.parent.glob("*.py"):
            if module.name != "__init__.py":
                assert module.name in doc, f"{init.parent.name}/__init__ does not name {module.name}"


def test_each_group_dataclass_has_exactly_the_fields_of_its_parameters():
    for group, cls in GROUPS.items():
        declared = {f.name for f in dataclasses.fields(cls)}
        defined = {p.field for p in PARAMS.values() if p.group == group}
        assert declared == defined, group
        assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(cls)), \
            f"{cls.__name__} repeats a default that PARAMS already holds"


def test_config_is_typed_inside_and_flat_outside():
    cfg = resolve(sets=["MODEL_GROUP_WIDTH=16", "TRAINING_LR_MAX=0.2"])
    assert cfg.model.group_width == cfg["MODEL_GROUP_WIDTH"] == 16
    assert cfg.schedule.lr_max == 0.2 and cfg.optim.batch_size == cfg["DATA_BATCH_SIZE"]
    assert cfg.model.channels == (24, 56, 152, 368) and cfg["MODEL_CHANNELS"] == [24, 56, 152, 368]
    assert set(cfg) == set(PARAMS) and dict(cfg)["SEED"] == 0
    with pytest.raises(AttributeError):
        cfg.model = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.model.group_width = 4
    changed = cfg.replace(MODEL_GROUP_WIDTH=8)
    assert changed.model.group_width == 8 and cfg.model.group_width == 16
    with pytest.raises(ParamError, match="MODEL_GROUP_WIDTH"):
        cfg.replace(MODEL_GROUP_WIDTH=0)


def test_one_flag_decides_what_makes_two_runs_the_same():
    cfg = resolve()
    watched = cfg.replace(PROGRESS=not cfg["PROGRESS"], DEVICE="cpu", FILE_LOAD=True)
    assert identity(watched) == identity(cfg)
    assert identity(cfg.replace(TRAINING_LR_MAX=0.3)) != identity(cfg)
    assert set(identity(cfg, "data")) <= {n for n, p in PARAMS.items() if p.group == "data"}
    assert "DATA_DIR" not in identity(cfg, "data") and "DATASET" in identity(cfg, "data")


def test_atomic_writer_leaves_the_old_file_when_the_writing_fails(tmp_path):
    path = tmp_path / "record.json"
    files.write_json(path, {"epoch": 1})
    with pytest.raises(RuntimeError):
        with files.atomic_path(path) as tmp:
            tmp.write_text('{"epo')
            raise RuntimeError("killed mid-write")
    assert path.read_text() == '{"epoch": 1}'
    assert os.listdir(tmp_path) == ["record.json"]
    files.copy(path, tmp_path / "copy.json")
    assert (tmp_path / "copy.json").read_text() == '{"epoch": 1}'


def test_no_module_renames_a_temporary_file_by_hand():
    """Every file that must never be half-written goes through files.py."""
    offenders = [str(p.relative_to(LIB)) for p in LIB.rglob("*.py")
                 if p.name != "files.py" and ".tmp-" in p.read_text()]
    assert not offenders


@pytest.mark.parametrize("script", sorted((ROOT / "notebooks").glob("[0-9]*.py")),
                         ids=lambda p: p.stem)
def test_each_notebook_script_and_its_ipynb_hold_the_same_cells(script):
    jupytext = pytest.importorskip("jupytext")
    import nbformat
    ipynb = script.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{script.name} has no paired {ipynb.name}"
    text = jupytext.read(script, fmt="py:percent")
    saved = nbformat.read(ipynb, as_version=4)

    def cells(nb):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", [])))
                for c in nb.cells]
    assert cells(text) == cells(saved), (f"{ipynb.name} is out of sync with {script.name}: "
                                         f"run jupytext --sync notebooks/{script.name}")
    assert saved.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"
