"""The public API the README documents stays reachable from `import videocam`."""
import subprocess
import sys

import videocam


def test_documented_names_resolve():
    assert callable(videocam.load_model) and callable(videocam.process_video)
    assert callable(videocam.cam.normalize) and callable(videocam.cam.class_activation_maps)
    assert callable(videocam.localize.cam_boxes)
    assert callable(videocam.rescale.adaptive_cams)
    assert videocam.CamModel.__name__ == "CamModel"
    assert issubclass(videocam.FaceModel, videocam.CamModel) and callable(videocam.enrol)
    assert videocam.UNKNOWN == "unknown"
    assert issubclass(videocam.ModelError, videocam.VideocamError)


def test_every_user_error_has_one_base_with_an_exit_code():
    from videocam import errors
    for name in ("UsageError", "BackendError", "ModelError", "DataError", "VideoError", "CsvFormatError"):
        cls = getattr(errors, name)
        assert issubclass(cls, errors.VideocamError)
        assert cls.exit_code == (2 if issubclass(cls, errors.UsageError) else 1)


def test_import_videocam_stays_light():
    """`import videocam` must not load TensorFlow, OpenCV or PyAV (the command's --help is instant)."""
    code = "import sys, videocam; print(sorted(m for m in ('tensorflow', 'keras', 'cv2', 'av') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_readme_s_module_paths_import_and_its_calls_work():
    """Every module path README.md names imports, and its calls run with the arguments it shows."""
    import numpy as np

    from videocam.cam import normalize
    from videocam.localize import cam_boxes
    from videocam.rescale import adaptive_cams
    m = videocam.load_model()
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (360, 640, 3), dtype=np.uint8)
    probs, cams = m.predict(frame)  # one frame is a batch of one, not 360 rows
    assert probs.shape == (1, len(m.classes)) and cams.shape[:2] == (1, len(m.classes))
    probs2, _ = m.predict(np.stack([frame, frame]))
    assert probs2.shape == (2, len(m.classes))
    norm = normalize(cams[0, 0], "max")
    assert norm.max() <= 1.0 + 1e-6
    for mode in ("largest", "all", "union"):
        assert isinstance(cam_boxes(cams[0, 0], 640, 360, threshold=0.2, mode=mode), list)
    sides, maps = adaptive_cams(m, [frame], [m.classes[0]])  # a class name, as README shows
    sides_i, _ = adaptive_cams(m, [frame], [0])              # or its index
    assert sides == sides_i and maps[0].shape[0] == len(m.classes)
    assert videocam.cam.normalize is normalize and videocam.localize.cam_boxes is cam_boxes


def test_no_import_circle_in_the_package():
    """No two modules of the package import each other, directly or round a circle (imports inside
    functions included): data and calls flow one way."""
    import ast
    from pathlib import Path
    root = Path(videocam.__file__).parent
    mods = {}
    for p in root.rglob("*.py"):
        name = ".".join(p.relative_to(root.parent).with_suffix("").parts)
        mods[name[:-len(".__init__")] if name.endswith(".__init__") else name] = p
    graph = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("videocam"):
                graph[m] |= {t for t in [node.module] + [f"{node.module}.{a.name}" for a in node.names] if t in mods}
            elif isinstance(node, ast.Import):
                graph[m] |= {a.name for a in node.names if a.name in mods}
        graph[m] -= {m, "videocam"}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for t in sorted(graph[m]):
            assert state.get(t) != 1, "import circle: " + " -> ".join(path + [m, t])
            if t not in state:
                visit(t, path + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
