"""Setup promises: one dependency list, lower bounds, the two commands, CI calls the tests,
and a plain `pip install .` that works away from the checkout."""
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def requirement_lines(name):
    return [line.strip() for line in (ROOT / name).read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_runtime_requirements_use_lower_bounds_not_pins():
    lines = requirement_lines("requirements.txt")
    names = {line.split(">=")[0] for line in lines}
    assert {"torch", "torchvision", "papermill", "nbconvert", "ipykernel", "jupyterlab",
            "matplotlib", "pandas", "pyyaml", "tqdm"} <= names
    assert all(">=" in line and "==" not in line for line in lines)
    assert "torch>=2.4" in lines and "torchvision>=0.19" in lines


def test_environment_yml_defers_to_requirements_txt():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-r requirements.txt" in pip
    conda_deps = [d for d in env["dependencies"] if isinstance(d, str)]
    assert any(d.startswith("python") for d in conda_deps) and "pip" in conda_deps
    assert not any(d.split("=")[0] in ("pytorch", "torch", "torchvision") for d in conda_deps)


# distribution name -> what scripts/env.sh imports to find it; jupyterlab is for people
# opening the notebooks, not for either script, so the check leaves it out
IMPORT_NAMES = {"pillow": "PIL", "pyyaml": "yaml", "pytest-xdist": "xdist", "jupyterlab": None}


def _env_sh_imports() -> tuple[set[str], set[str]]:
    """The modules scripts/env.sh checks: for run_all.sh, and the extra ones for run_tests.sh."""
    text = (ROOT / "scripts" / "env.sh").read_text()
    run = text.split("need = [", 1)[1].split("]", 1)[0]
    tests = text.split("need += [", 1)[1].split("]", 1)[0]
    return ({n.strip(' "\n') for n in run.split(",")},
            {n.strip(' "\n') for n in tests.split(",")})


def test_env_sh_checks_every_requirement_the_scripts_import():
    def imports(name):
        names = {line.split(">=")[0].split()[0] for line in requirement_lines(name)
                 if not line.startswith("-r")}
        return {IMPORT_NAMES.get(n, n) for n in names} - {None}
    run, tests = _env_sh_imports()
    assert run == imports("requirements.txt")
    assert tests == imports("requirements-dev.txt")


def test_dev_requirements_include_the_runtime_list():
    assert "-r requirements.txt" in requirement_lines("requirements-dev.txt")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "./run_tests.sh" in ci and "./run_tests.sh" in readme and "./run_all.sh" in readme
    for script in ("run_tests.sh", "run_all.sh", ".ci/run"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} is not executable"


def test_a_non_editable_install_finds_profiles_experiments_and_notebooks(tmp_path):
    """`pip install .` (no checkout beside it) still finds params/ and notebooks/."""
    root = ROOT
    declared = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    lib = root / "lib"
    found = sorted(".".join(p.parent.relative_to(lib).parts) for p in lib.rglob("__init__.py"))
    assert sorted(p for p in declared["packages"] if ".assets" not in p) == found
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--no-compile", "--target", str(target), str(root)],
                   check=True, capture_output=True)
    probe = """
import regnet, regnet.provenance as p
from regnet.study import experiments
from regnet.report import notebook
assert regnet.__file__.startswith(%r), regnet.__file__
assert not p.CHECKOUT
assert notebook.profile_file("course").is_file()
assert (p.asset("notebooks") / "02_train.ipynb").is_file()
print(sorted(experiments.names()))
""" % str(target)
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "variants" in out.stdout and "bottleneck" in out.stdout
    info = subprocess.run([sys.executable, "-m", "regnet", "info", "200mf", "--json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert info.returncode == 0 and '"params": 2351452' in info.stdout, info.stderr
