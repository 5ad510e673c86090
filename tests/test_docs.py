"""The docs cannot drift from the code: every module they name exists, and every code block
in README.md and docs/*.md runs, or parses and resolves its parameters."""
import ast
import importlib
import inspect
import os
import re
import shlex
import textwrap
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from regnet import cli, params
from regnet.report import notebook, render
from regnet.study import experiments

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "regnet"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SOURCES = sorted(LIB.rglob("*.py"))

# `regnet.data.cache`, `regnet.arch.pretrained.load_pretrained`; not the `.regnet.lock` file
DOTTED = re.compile(r"(?<![\w./-])regnet(?:\.[A-Za-z_]\w*)+")
# `engine/device.py`, `lib/regnet/arch/space.py`
PATH = re.compile(r"(?<![\w./-])(?:lib/regnet/)?((?:arch|data|engine|study|report)/\w+\.py)\b")


def _named(pattern, files):
    """(name, where) for every match of `pattern` in `files`, one per name and file."""
    found = {}
    for path in files:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in pattern.finditer(line):
                found.setdefault((m.group(m.lastindex or 0), path), i)
    return [(name, f"{path.relative_to(ROOT)}:{line}") for (name, path), line in found.items()]


def _wheel_packages() -> set[str]:
    """What a wheel adds under `regnet.assets` (pyproject.toml maps the checkout's folders)."""
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return set(setup["packages"]) | set(setup["package-dir"])


def _resolves(name: str) -> bool:
    """Whether `name` is a module, or an attribute of one, that imports."""
    if name.startswith("regnet.assets"):
        return any(p == name or p.startswith(name + ".") for p in _wheel_packages())
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if not (module == e.name or module.startswith(f"{e.name}.")):
                raise  # a module that exists but lacks a dependency
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


NAMED = _named(DOTTED, SOURCES + DOCS)


def test_the_scan_finds_the_names_it_checks():
    names = {name for name, _ in NAMED}
    assert {"regnet.data.cache", "regnet.arch.pretrained.load_pretrained"} <= names
    assert not any(name.startswith("regnet.lock") for name in names)  # the lock file's name
    assert _resolves("regnet.engine.loop.train") and not _resolves("regnet.train.train")
    assert not _resolves("regnet.images") and not _resolves("regnet.data.cache.no_such_thing")


@pytest.mark.parametrize("name,where", NAMED, ids=[f"{n}@{w}" for n, w in NAMED])
def test_every_regnet_name_in_docstrings_comments_and_docs_imports(name, where):
    assert _resolves(name), f"{where} names {name}, which does not import"


@pytest.mark.parametrize("name,where", _named(PATH, SOURCES + DOCS))
def test_every_module_path_in_docstrings_comments_and_docs_exists(name, where):
    assert (LIB / name).is_file(), f"{where} names {name}, which is not a file of lib/regnet/"


# --- every code block of README.md and docs/*.md --------------------------------------
# Cheap commands run as written; long ones (training, sweeps, benchmarks, reports) are
# parsed by the command line's own parser and their parameters resolved, with the work
# itself replaced, so a renamed flag or parameter fails here. A block whose fence names
# `network` after its language (```python network) needs the internet and is skipped.

FENCE = re.compile(r"^( *)```([^\n`]*)\n(.*?)^\1```", re.S | re.M)
RUN = {"info", "params", "schedule"}  # seconds on a CPU: run as written
WORK = {  # the long commands' work, replaced by a stub that returns something printable
    "train": [("regnet.engine.loop", "train", {})],
    "bench": [("regnet.engine.bench", "bench", {}), ("regnet.engine.bench", "format_table", "")],
    "bench-recipe": [("regnet.study.recipe", "compare", {})],
    "sweep": [("regnet.study.sweep", "run_sweep", []),
              ("regnet.study.launch", "launch", SimpleNamespace(table=[], failed=[]))],
    "reports": [("regnet.report.render", "run", None)],
}


def _blocks():
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text[:m.start()].count("\n") + 1
            info = m.group(2).split()
            before = text[:m.start()].rstrip().rsplit("\n\n", 1)[-1]
            yield pytest.param((info or [""])[0], info[1:], textwrap.dedent(m.group(3)), before,
                               id=f"{path.relative_to(ROOT)}:{line}")


def _commands(code: str):
    """The commands of a shell block: continuations joined, comments dropped, a heredoc's
    body kept with the line that feeds it."""
    lines = iter(code.replace("\\\n", " ").splitlines())
    for line in lines:
        if "<<" in line:
            end = line.split("<<", 1)[1].strip().strip("'\"")
            yield shlex.split(line, comments=True), "\n".join(iter(lines.__next__, end))
        elif shlex.split(line, comments=True):
            yield shlex.split(line, comments=True), None


@pytest.fixture
def work(monkeypatch):
    """The long commands' work replaced by stubs; the calls they got, as bound arguments."""
    calls = []
    for module, name, result in [stub for stubs in WORK.values() for stub in stubs]:
        real = getattr(importlib.import_module(module), name)

        def stub(*args, _real=real, _result=result, **kwargs):
            calls.append(inspect.signature(_real).bind(*args, **kwargs))
            return _result
        monkeypatch.setattr(importlib.import_module(module), name, stub)
    return calls


def _regnet(argv, calls, capsys):
    """Run `python -m regnet ARGV` in this process (long commands with their work stubbed)."""
    calls.clear()
    try:
        if argv[0] not in RUN and argv[0] not in WORK:  # e.g. edf, which reads a finished sweep
            cli.parser().parse_args(argv)
            return
        code = cli.main(argv)
    except SystemExit:  # a usage error: argparse has printed it
        pytest.fail(f"`python -m regnet {' '.join(argv)}`: {capsys.readouterr().err.strip()}")
    err = capsys.readouterr().err.strip()
    assert code == 0, f"`python -m regnet {' '.join(argv)}` exits {code}: {err}"
    assert argv[0] in RUN or calls, f"{argv[0]}: the stub was not reached"
    if argv[0] == "reports":  # run_all.sh checks its --profile, --only and --set in run()
        calls[0].apply_defaults()
        _check_reports(**calls[0].arguments)


def _check_reports(profile, only, sets, **_):
    """What render.run checks before any notebook runs."""
    if profile not in params.PROFILES:
        raise params.ParamError(f"--profile {profile}: no such profile")
    render.select(only)
    overrides = dict(params.parse_set(s) for s in sets)
    params.resolve([notebook.profile_file(profile)], overrides={
        k: v for k, v in overrides.items() if k not in notebook.NOTEBOOK_NAMES})


def _papermill(argv):
    """`papermill IN OUT -p NAME VALUE ... -f FILE`: what the notebook's first cell resolves."""
    assert (ROOT / argv[0]).is_file(), f"papermill: no notebook {argv[0]}"
    namespace, rest = {}, iter(argv[2:])
    for flag in rest:
        if flag == "-p":
            name = next(rest)
            namespace[name] = yaml.safe_load(next(rest))
        elif flag == "-f":
            given = ROOT / next(rest)  # the reader's own file, when it is not the project's
            namespace.update(params.load_yaml(given) if given.exists() else {})
        else:
            pytest.fail(f"papermill {flag}: the docs check knows -p and -f")
    values = notebook.resolve(namespace)
    if namespace.get("EXPERIMENT"):
        experiments.load(namespace["EXPERIMENT"], values["PROFILE"])


def _check_shell(argv, heredoc, calls, capsys):
    while re.match(r"^[A-Z_]+=", argv[0]):  # PYTHONPATH=lib python ...
        argv = argv[1:]
    if argv[0] == "export":
        return
    if argv[:2] == ["python", "-"] and heredoc is not None:  # a script: compiles and imports
        for node in ast.parse(heredoc).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], []), "<docs>", "exec"), {})
        return
    if argv[:3] == ["python", "-m", "regnet"]:
        return _regnet(argv[3:], calls, capsys)
    if argv[0] == "torchrun":
        return _regnet(argv[argv.index("regnet") + 1:], calls, capsys)
    if argv[0] == "./run_all.sh":
        return _regnet(["reports", *argv[1:]], calls, capsys)
    if argv[0] == "./run_tests.sh":
        assert os.access(ROOT / "run_tests.sh", os.X_OK)
        return
    if argv[0] == "papermill":
        return _papermill(argv[1:])
    pytest.fail(f"`{' '.join(argv)}`: a command the docs check does not know; teach "
                "tests/test_docs.py to check it, or tag its block")


def _check_python(code, tmp_path, monkeypatch):
    """Run as written in an empty folder; UPPER_CASE names it sets are notebook parameters."""
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "<docs>", "exec"), namespace)
    notebook.check_names(namespace)
    for name, value in namespace.items():
        if name in params.PARAMS:
            params.check_value(name, value)


@pytest.mark.parametrize("lang,tags,code,before", list(_blocks()))
def test_every_code_block_in_the_docs_runs_or_parses(lang, tags, code, before, tmp_path,
                                                     work, monkeypatch, capsys):
    if "network" in tags:
        pytest.skip("needs the network (the block says where the files come from)")
    monkeypatch.chdir(ROOT)
    if lang in ("bash", "sh"):
        for argv, heredoc in _commands(code):
            _check_shell(argv, heredoc, work, capsys)
    elif lang == "python":
        _check_python(code, tmp_path, monkeypatch)
    else:  # a layout, a table or a program's output; one that a command prints is checked
        _check_output(code, before, capsys)


def _check_output(code, before, capsys):
    """A block introduced by "`python -m regnet ...` prints" holds lines that it prints."""
    printed = re.search(r"`python -m regnet ([^`]+)` prints", before)
    if printed:
        assert cli.main(shlex.split(printed.group(1))) == 0
        out = capsys.readouterr().out.splitlines()
        missing = [line for line in code.splitlines() if line not in out]
        assert not missing, f"not in the output of `{printed.group(1)}`: {missing}"


@pytest.mark.parametrize("line", [
    "python -m regnet train --params params/course.yaml --set MODEL_GROUP_WIDHT=8",
    "python -m regnet train --parameters params/course.yaml",
    "python -m regnet info 200mf --ops",
    "python -m regnet bench --rows fp32,fastest",
    "python -m regnet sweep --params params/sweep_quick.yaml --space anynetx_z --out x",
    "python -m regnet edf runs/sweep --plots",
    "python -m regnet evaluate runs/x",
    "torchrun --nproc_per_node=4 -m regnet train --set DATA_BATCH_SIZE=0",
    "./run_all.sh --profile coarse",
    "./run_all.sh --only 02_trian",
    "./run_all.sh --set REGNETX=300mf",
    "papermill notebooks/02_train.ipynb out.ipynb -p REGNETZ 800mf",
    "papermill notebooks/04_extras.ipynb out.ipynb -p EXPERIMENT group_widths",
    "papermill notebooks/06_more.ipynb out.ipynb",
    "regnet train",
    "PYTHONPATH=lib python -m regnet info 201mf",
])
def test_the_docs_check_fails_on_a_renamed_flag_parameter_or_command(line, work, monkeypatch,
                                                                    capsys):
    monkeypatch.chdir(ROOT)
    with pytest.raises((AssertionError, pytest.fail.Exception, params.ParamError)):
        for argv, heredoc in _commands(line):
            _check_shell(argv, heredoc, work, capsys)


def test_the_docs_check_fails_on_an_output_that_the_command_does_not_print(capsys):
    with pytest.raises(AssertionError, match="not in the output"):
        _check_output("s1     1 X block         24        8      1       1      56      9,999",
                      "`python -m regnet info 200mf` prints:", capsys)


def test_the_block_scan_finds_the_readme_commands_and_the_tagged_blocks():
    blocks = {p.id: p.values for p in _blocks()}
    assert any(i.startswith("README.md:") and v[0] == "bash" and "python -m regnet info" in v[2]
               for i, v in blocks.items())
    assert any(v[:2] == ("python", ["network"]) for v in blocks.values())
