"""Memory benchmark: peak RSS of `process_video` for N and factor x N frames.

``python -m videocam.studies.membench [--frames 150] [--factor 10] [--size 320x240] [--gif] [--model M]``

Each run happens in a fresh child process (so one run's peak cannot hide
another's). The child loads the model, resets its peak-RSS counter
(``/proc/self/clear_refs``), runs `process_video` and reports

- `peak`: the highest resident memory during the run (VmHWM after the reset),
- `base`: resident memory just before the run (Python, TensorFlow, the model),
- `maxrss`: the child's lifetime peak (``getrusage``), for systems without
  ``clear_refs``.

Bounded memory means `peak` barely moves when the video gets 10 times longer,
with or without the GIF: GifWriter streams each kept frame to disk as it
arrives (holding one back to learn its duration).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

CLASSES = ["ahn", "hong", "moon", "nobody", "sim", "you"]


def _status_kb(key: str) -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def make_clip(path: Path, frames: int, size=(320, 240), fps: int = 25) -> Path:
    """A clip with moving content (so the encoders and the model do real work)."""
    import numpy as np

    from videocam.io.writers import Mp4Writer

    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 40, (h, w, 3), np.uint8)
    with Mp4Writer(path, fps, w, h, preset="ultrafast", x264_params=None) as out:
        for i in range(frames):
            img = np.empty((h, w, 3), np.uint8)
            img[..., 0] = (xx + 3 * i) % 256
            img[..., 1] = (yy + 2 * i) % 256
            img[..., 2] = ((xx + yy) // 2 + i) % 256
            img = img // 2 + np.roll(noise, i, axis=1)
            s = max(8, h // 4)
            x0, y0 = (5 * i) % (w - s), (3 * i) % (h - s)
            img[y0:y0 + s, x0:x0 + s] = (240, 200, 180)
            out.write(img, i / fps)
    return path


def tiny_model(path: Path) -> Path:
    """An untrained small GAP model (width 8): the pipeline's memory, not the model's."""
    from videocam.model.cam_model import save_model
    from videocam.model.nets import build_model

    m, info = build_model(len(CLASSES), "small", "gap", width=8)
    info.classes = list(CLASSES)
    save_model(m, info, path)
    return path


def _child(clip: str, model: str, out: str, gif: bool, batch: int) -> dict:
    from videocam.model.loading import load_model
    from videocam.pipeline.process import process_video

    cm = load_model(model)
    base = _status_kb("VmRSS")
    reset = _reset_peak()
    s = process_video(clip, model=cm, out_dir=out, gif=gif, batch=batch, handle_signals=False)
    peak = _status_kb("VmHWM") if reset else 0
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"frames": s.frames, "base_kb": base, "peak_kb": peak, "maxrss_kb": maxrss,
            "seconds": round(s.seconds, 2)}


@dataclass
class Result:
    size: tuple
    gif: bool
    runs: list = field(default_factory=list)  # dicts from _child, short clip first

    @property
    def ratio(self) -> float:
        """Peak of the long run over the peak of the short one (1.0 = no growth)."""
        key = "peak_kb" if all(r["peak_kb"] for r in self.runs) else "maxrss_kb"
        return self.runs[-1][key] / self.runs[0][key]

    def describe(self) -> str:
        w, h = self.size
        lines = [f"{w}x{h}, GIF {'on' if self.gif else 'off'}:"]
        for r in self.runs:
            lines.append(f"  {r['frames']:6d} frames: peak {r['peak_kb'] / 1024:7.1f} MiB during the run "
                         f"(base {r['base_kb'] / 1024:.1f} MiB, growth {(r['peak_kb'] - r['base_kb']) / 1024:+.1f} MiB), "
                         f"process max {r['maxrss_kb'] / 1024:.1f} MiB, {r['seconds']} s")
        lines.append(f"  long/short peak ratio: {self.ratio:.3f}")
        return "\n".join(lines)


def run(frames: int = 150, factor: int = 10, size=(320, 240), gif: bool = False, model=None,
        batch: int = 16, workdir=None) -> Result:
    """Measure N and factor x N frames, each in its own child process."""
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="membench-")
        workdir = tmp.name
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    try:
        model = Path(model) if model else tiny_model(work / "tiny.keras")
        res = Result(size=tuple(size), gif=gif)
        for n in (frames, frames * factor):
            clip = work / f"clip{n}.mp4"
            if not clip.exists():
                make_clip(clip, n, size)
            from videocam.studies.child import python_command
            cmd = python_command(module="videocam.studies.membench",
                                 args=["--child", clip, "--model", model, "--out", work / f"out{n}", "--batch", batch]
                                 + (["--gif"] if gif else []))
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            if p.returncode != 0:
                raise RuntimeError(f"membench child failed: {p.stderr.strip().splitlines()[-1:]}")
            res.runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
        return res
    finally:
        if tmp is not None:
            tmp.cleanup()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m videocam.studies.membench", description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=150, help="frames in the short clip (default 150)")
    ap.add_argument("--factor", type=int, default=10, help="the long clip is this many times longer")
    ap.add_argument("--size", default="320x240", help="frame size WxH (default 320x240)")
    ap.add_argument("--gif", action="store_true", help="also write the GIF")
    ap.add_argument("--both", action="store_true", help="measure without and with the GIF")
    ap.add_argument("--model", default=None, help="model file (default: a tiny untrained one)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(_child(a.child, a.model, a.out, a.gif, a.batch)))
        return 0
    w, h = (int(v) for v in a.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="membench-") as work:
        for gif in ((False, True) if a.both else (a.gif,)):
            print(run(a.frames, a.factor, (w, h), gif, a.model, a.batch, work).describe(), flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
