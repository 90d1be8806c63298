"""One hour of 640x360 25-fps H.264 analysed with `--fps 5 --no-mp4`: wall time, and what limits it.

Makes the hour by repeating a clip's packets with shifted timestamps (a remux, no re-encoding),
then times, in one process on the same file:
  1. decoding alone (every frame decoded, none converted): the floor for any sampled run;
  2. decoding + the model-sized conversion of the 5-fps frames only (what the run's reader does);
  3. decoding + converting every frame to full RGB (what a reader that always converts would do);
  4. the real `videocam run HOUR --fps 5 --no-mp4` (bundled model unless --model).
Usage: python scripts/hour_bench.py [--minutes 60] [--clip samples/debate.mp4] [--keep DIR]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def repeat_clip(src: Path, dst: Path, minutes: float) -> int:
    """`dst`: `src`'s video packets repeated with shifted timestamps until `minutes` long."""
    import av

    with av.open(str(src)) as inp:
        s = inp.streams.video[0]
        packets = [(p.pts, p.dts, bytes(p), p.is_keyframe) for p in inp.demux(s) if p.size]
        tb = s.time_base
        span = max(p[0] for p in packets) - min(p[0] for p in packets) + (packets[1][0] - packets[0][0] or 1)
        with av.open(str(dst), "w", format="mp4") as out:
            o = out.add_stream_from_template(s)
            copies = int(minutes * 60 / float(span * tb)) + 1
            n = 0
            for k in range(copies):
                for pts, dts, data, key in packets:
                    pkt = av.Packet(data)
                    pkt.pts, pkt.dts = pts + k * span, dts + k * span
                    pkt.time_base = tb
                    pkt.is_keyframe = key
                    pkt.stream = o
                    out.mux(pkt)
                    n += 1
    return n


def timed_read(path: Path, **kw) -> tuple[float, int]:
    from videocam.io.reader import VideoReader

    t0 = time.perf_counter()
    n = 0
    with VideoReader(path, **kw) as r:
        for _ in r:
            n += 1
    return time.perf_counter() - t0, n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60.0, help="length of the test video (default 60)")
    ap.add_argument("--clip", default="samples/debate.mp4", help="clip to repeat (default samples/debate.mp4)")
    ap.add_argument("--model", default=None, help="model for the run (default: the bundled one)")
    ap.add_argument("--fps", type=float, default=5.0, help="analysed frames per second (default 5)")
    ap.add_argument("--keep", default=None, help="folder to keep the hour video in (default: a temp folder)")
    a = ap.parse_args(argv)
    from videocam.pipeline.sampling import PerSecond

    tmp = tempfile.TemporaryDirectory()
    where = Path(a.keep or tmp.name)
    where.mkdir(parents=True, exist_ok=True)
    video = where / f"hour_{a.minutes:g}min.mp4"
    if not video.exists():
        t0 = time.perf_counter()
        n = repeat_clip(Path(a.clip), video, a.minutes)
        print(f"made {video} ({n} packets) in {time.perf_counter() - t0:.1f} s")
    length_s = a.minutes * 60.0
    rows = []
    t, n = timed_read(video, model_size=(224, 224), full_rgb=False, select=lambda i, ts: False)
    rows.append(("decode only (no frame converted)", t, n))
    t, n = timed_read(video, model_size=(224, 224), full_rgb=False, select=PerSecond(a.fps))
    rows.append((f"decode + model copy of {a.fps:g} fps", t, n))
    t, n = timed_read(video)
    rows.append(("decode + full RGB of every frame", t, n))
    cmd = [sys.executable, "-m", "videocam", "run", str(video), "--fps", str(a.fps), "--no-mp4",
           "--out", str(where / "out")] + (["--model", a.model] if a.model else [])
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.perf_counter() - t0
    rows.append((f"videocam run --fps {a.fps:g} --no-mp4 (whole command)", t, None))
    print(f"{a.minutes:g} min of video ({length_s:.0f} s), one process, same file:")
    for name, t, n in rows:
        extra = f", {n} frames out" if n is not None else ""
        print(f"  {name:<52} {t:7.1f} s  {length_s / t:6.1f}x real time{extra}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
