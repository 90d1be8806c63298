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
