"""The package as a user installs it: a wheel carries the bundled model and runs the quick start
from anywhere; subprocesses import the installed package whatever the working directory."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from videocam.errors import ModelError

ROOT = Path(__file__).resolve().parent.parent
MODEL_MEMBER = "videocam/model/demo.keras"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the source (the checkout stays clean), offline, as pip builds it."""
    pytest.importorskip("setuptools", reason="building the wheel offline needs setuptools in this environment")
    pytest.importorskip("wheel", reason="building the wheel offline needs the wheel package in this environment")
    d = tmp_path_factory.mktemp("wheel")
    src = d / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "videocam", src / "videocam", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", str(src), "-w", str(d / "dist")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    (whl,) = (d / "dist").glob("videocam-*.whl")
    return whl


def test_wheel_carries_the_bundled_model(wheel):
    from videocam.model.cam_model import default_model_path
    bundled = default_model_path()
    assert bundled.is_file() and not bundled.is_symlink()
    with zipfile.ZipFile(wheel) as z:
        assert MODEL_MEMBER in z.namelist(), "the wheel has no model: `videocam run` fails after pip install"
        assert _sha(z.read(MODEL_MEMBER)) == _sha(bundled.read_bytes())
    # the README's path still works in a checkout
    assert _sha((ROOT / "samples" / "model.keras").read_bytes()) == _sha(bundled.read_bytes())


def test_wheel_carries_the_face_network(wheel):
    """`train --backbone face` works offline after pip install: the face network is package data."""
    from videocam.model.face_model import BUNDLED_FACE_NET
    with zipfile.ZipFile(wheel) as z:
        member = "videocam/model/face_resnet_dlib.keras"
        assert member in z.namelist(), "the wheel has no face network: train --backbone face fails after pip install"
        assert _sha(z.read(member)) == _sha(BUNDLED_FACE_NET.read_bytes())
        assert "videocam/model/FACE_NETWORK_NOTICE.md" in z.namelist()


def test_every_shipped_model_file_opens_with_this_keras():
    """pyproject's Keras floor is the one the shipped files need (a 3.15 file does not open in 3.14)."""
    import re

    from videocam.model._backend import keras
    from videocam.model.cam_model import BUNDLED_MODEL
    from videocam.model.face_model import BUNDLED_FACE_NET
    floor = re.search(r'"keras>=([0-9.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    have = tuple(int(x) for x in keras().__version__.split(".")[:2])
    assert have >= tuple(int(x) for x in floor.split(".")[:2])
    for f in (BUNDLED_MODEL, BUNDLED_FACE_NET):
        assert keras().models.load_model(f, compile=False) is not None


def test_missing_model_says_how_to_give_one(tmp_path, monkeypatch):
    from videocam.model import cam_model
    from videocam.model.loading import load_model
    monkeypatch.delenv("VIDEOCAM_MODEL", raising=False)
    monkeypatch.setattr(cam_model, "BUNDLED_MODEL", tmp_path / "gone.keras")
    with pytest.raises(ModelError) as e:
        load_model()
    assert "--model" in str(e.value) and "VIDEOCAM_MODEL" in str(e.value) and "gone.keras" in str(e.value)
    monkeypatch.setenv("VIDEOCAM_MODEL", str(tmp_path / "typo.keras"))
    with pytest.raises(ModelError) as e:
        load_model()
    assert "VIDEOCAM_MODEL" in str(e.value) and "typo.keras" in str(e.value) and "--model" in str(e.value)


def test_wheel_installed_elsewhere_runs_the_quick_start(wheel, tmp_path):
    """pip install of the wheel (not -e) into a fresh venv, then the quick start from another folder.

    The venv reuses this environment's site-packages for the dependencies (a .pth line), so nothing is
    downloaded; the wheel itself goes in with --no-deps --no-index. About 30 s on 2 cores (one second
    of the demo video, TensorFlow's start-up most of it).
    """
    t0 = time.monotonic()
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    py = env / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "_videocam_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    r = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clean = {k: v for k, v in os.environ.items() if k not in ("VIDEOCAM_MODEL", "PYTHONPATH")}
    where = subprocess.run([str(py), "-c", "import videocam.model.cam_model as m; print(m.default_model_path())"],
                           cwd=elsewhere, env=clean, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(site) and Path(where).is_file()
    r = subprocess.run([str(env / "bin" / "videocam"), "run", str(ROOT / "samples" / "debate.mp4"), "--gif",
                        "--end", "1"], cwd=elsewhere, env=clean, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    for ext in ("mp4", "csv", "gif"):
        assert (elsewhere / "outputs" / f"debate.cam.{ext}").is_file()
    print(f"wheel install + quick start: {time.monotonic() - t0:.1f} s")


@pytest.fixture
def stray_videocam(tmp_path, monkeypatch):
    """A working directory with a `videocam/` folder that is not the package (a checkout's sibling, a
    user's project folder): whatever imports it fails loudly."""
    stray = tmp_path / "project"
    (stray / "videocam").mkdir(parents=True)
    (stray / "videocam" / "__init__.py").write_text("raise ImportError('the stray videocam/ folder')\n")
    monkeypatch.chdir(stray)
    return stray


def test_child_python_imports_this_package_whatever_the_cwd(stray_videocam):
    import videocam
    from videocam.studies.child import python_command
    r = subprocess.run(python_command(code="import videocam; print(videocam.__file__)"),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()) == Path(videocam.__file__)
    r = subprocess.run(python_command(module="videocam.studies.membench", args=["--help"]),
                       capture_output=True, text=True)
    assert r.returncode == 0 and "membench" in r.stdout, r.stderr


def test_bench_start_up_runs_in_a_folder_with_a_videocam_folder(stray_videocam, tiny_model_path, debate_clip):
    """`videocam bench` started there crashed: its start-up child imported the stray folder (issue 20, 7)."""
    from videocam.studies.bench import startup_seconds
    mp4, _truth, _n = debate_clip
    assert startup_seconds(tiny_model_path, mp4) > 0


def _stage_constants() -> list[tuple[str, str]]:
    """(module, NAME) of every UPPER_CASE constant assigned at module level in videocam/stages/*.py
    whose value is a number, a bool, a tuple, a dict or another constant (strings and calls are not
    measured constants)."""
    import ast
    found = []
    for path in sorted((ROOT / "videocam" / "stages").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            names = [t for target in targets for t in ([target] if isinstance(target, ast.Name) else
                                                       getattr(target, "elts", []))]
            values = value.elts if isinstance(value, ast.Tuple) and len(names) > 1 else [value] * len(names)
            for name, v in zip(names, values):
                if not (isinstance(name, ast.Name) and name.id.isupper()):
                    continue
                if isinstance(v, ast.Name) and v.id.isupper():
                    found.append((path.stem, name.id))
                    continue
                try:
                    literal = ast.literal_eval(v)
                except ValueError:
                    continue
                if isinstance(literal, (int, float, tuple, dict)):
                    found.append((path.stem, name.id))
    return found


def test_every_stage_constant_has_its_row_in_docs_stages_md():
    """The measurements behind a constant live in docs/stages.md, one row per constant, named
    `module.NAME`; the code's comment only says what it is (issue 29, 7)."""
    doc = (ROOT / "docs" / "stages.md").read_text()
    constants = _stage_constants()
    assert len(constants) > 40  # the scan found the modules' constants
    missing = [f"{m}.{n}" for m, n in constants if f"`{m}.{n}`" not in doc]
    assert not missing, f"constants without a row in docs/stages.md: {missing}"


def test_stage_module_docstrings_carry_no_tuning_history():
    """Module docstrings of videocam/stages/ say what and why; seeds and history live in docs/stages.md."""
    import ast
    bad = []
    for path in sorted((ROOT / "videocam" / "stages").glob("*.py")):
        doc = " ".join((ast.get_docstring(ast.parse(path.read_text())) or "").lower().split())
        bad += [f"{path.name}: {w!r}" for w in ("tuning seed", "fixed since") if w in doc]
    assert not bad, bad
