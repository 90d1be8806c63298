"""`videocam bench`: how close the pipeline gets to the bare model.

Rows, all in one process on the same clip:
1. `model` — the bare forward pass that gives the probabilities and every
   class's map (`probs_and_cams`, the pipeline's own call) at the best batch
   size, the better of one and two batches in flight (the ceiling);
2. `csv-only` — `videocam run --no-mp4` (what analysis over an archive runs);
   `pipeline` / `pipeline+gif` — the full `videocam run` path; each with its
   packing bound (`packing_bounds`): what perfect use of the cores would give;
3. `per-frame baseline` — the original blog loop: per frame a PIL resize, a
   batch-of-one predict, CAM by a Python loop over channels, cv2.resize of
   the map, a matplotlib figure saved to PNG, then a GIF from the PNGs.
Then a stage breakdown (ms/frame) and start-up time (import to first frame).
With `--repeat`, the model and run rows alternate that many times; each ratio
(x model, x bound) is the median of the runs against the model run just before
them, and the breakdown behind the bound the median of up to three.

The pipeline rows run over the whole clip (default 1,200 frames): a run fills
and drains its pipeline once (20-30 ms with the smaller first and last batches,
`pipeline.stream.batch_size_at`; 50-70 ms before them), a few % of a 300-frame
run but under 1% of an archive's minute; the model rows and the breakdown use
the first `IN_MEMORY_FRAMES` decoded frames, which they hold in memory.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

BATCHES = (1, 4, 8, 16, 32)
IN_MEMORY_FRAMES = 300  # decoded frames the model rows and the breakdown hold (and draw) at once


def _timed(fn, min_seconds: float = 2.0, min_runs: int = 2) -> float:
    """Seconds per call (best of repeated timing windows, after one warm-up call)."""
    fn()
    runs, t0 = 0, time.perf_counter()
    while runs < min_runs or time.perf_counter() - t0 < min_seconds:
        fn()
        runs += 1
    return (time.perf_counter() - t0) / runs


def _frames(video, n: int, cm=None) -> tuple[list, float, int, int]:
    """The first `n` frames; with a model, each also carries the reader's model-sized copy, as in `run`."""
    from videocam.io.reader import VideoReader
    out = []
    with VideoReader(video) as r:
        fps, w, h = r.fps, r.width, r.height
        if cm is not None:
            r.model_size = cm.input_size_for(w, h)
        for f in r:
            out.append(f)
            if len(out) >= n:
                break
    return out, fps, w, h


def model_ceiling(cm, frames, batches=BATCHES, precision_note=""):
    """Forward-pass throughput by batch size, one batch at a time: {batch: fps}."""
    x_all = cm.prepare([f.rgb for f in frames[:max(batches)]])
    by_batch = {}
    for b in batches:
        x = x_all[:b] if len(x_all) >= b else np.resize(x_all, (b,) + x_all.shape[1:])
        sec = _timed(lambda: cm.probs_and_cams(x), min_seconds=1.5)
        by_batch[b] = b / sec
    return by_batch


def overlapped_fps(cm, frames, batch: int, in_flight: int = 2, seconds: float = 1.5) -> float:
    """Forward-pass throughput with `in_flight` batches at once, by `run`'s own `forward_stream`.

    The `model` row is the better of this and `model_ceiling`, so the
    pipeline is never compared with a ceiling below what the model can do.
    """
    from videocam.pipeline.stream import forward_stream
    x = cm.prepare([f.rgb for f in frames[:batch]])
    if len(x) < batch:
        x = np.resize(x, (batch,) + x.shape[1:])
    cm.probs_and_cams(x)
    t0 = time.perf_counter()

    def batches():
        while time.perf_counter() - t0 < seconds:
            yield (), x

    done = sum(1 for _ in forward_stream(cm.probs_and_cams, batches(), in_flight=in_flight))
    return done * batch / (time.perf_counter() - t0)


def best_model_fps(cm, frames, batch: int, one_at_a_time: float | None = None) -> tuple[float, int]:
    """(fps, batches in flight): the bare model's best at `batch`, one or two batches at once."""
    one = one_at_a_time if one_at_a_time is not None else model_ceiling(cm, frames, (batch,))[batch]
    if (os.cpu_count() or 1) < 2:
        return one, 1
    two = overlapped_fps(cm, frames, batch)
    return (two, 2) if two > one else (one, 1)


class _Clock:
    """Wall and CPU time (all threads of this process) of consecutive stages, in ms per frame.

    The packing bound needs CPU time: FFmpeg decodes on frame threads, so a decode that takes
    0.46 ms of wall time on 2 cores costs about 0.65 ms of core time, which a packed run pays.
    """

    def __init__(self, frames: int):
        self.n = frames
        self.wall: dict[str, float] = {}
        self.core: dict[str, float] = {}

    def start(self) -> None:
        self._t, self._c = time.perf_counter(), time.process_time()

    def stop(self, name: str) -> None:
        self.wall[name] = 1000.0 * (time.perf_counter() - self._t) / self.n
        self.core[name] = 1000.0 * (time.process_time() - self._c) / self.n


def stage_breakdown(cm, video, frames, batch: int) -> tuple[dict, dict]:
    """(wall, core) ms per frame for each stage, run one after another on the same frames.

    `forward` has no core figure: the packing bound charges the model all the cores for its
    own best time (the `model` row), whatever it leaves idle.
    """
    from videocam.io.reader import VideoReader
    from videocam.io.render import Renderer
    from videocam.io.writers import Mp4Writer, encoder_threads
    from videocam.pipeline.stream import analyse, decode_threads_when_nothing_is_drawn
    from videocam.stages.chain import build_stages

    n = len(frames)
    clock = _Clock(n)
    size = cm.input_size_for(frames[0].width, frames[0].height)
    clock.start()
    with VideoReader(video, model_size=size) as r:  # decode includes FFmpeg's scaling to the model size
        for i, _ in enumerate(r):
            if i + 1 >= n:
                break
    clock.stop("decode")
    clock.start()
    with VideoReader(video, model_size=size, full_rgb=False) as r:  # a CSV-only run: no full-size picture,
        r.threads = decode_threads_when_nothing_is_drawn(r.pixels)  # and its decoding threads
        for i, _ in enumerate(r):
            if i + 1 >= n:
                break
    clock.stop("decode (csv-only)")
    rgbs = [f.model_input(size) for f in frames]
    clock.start()
    for i in range(0, n, batch):  # as in a run: each batch made, used and freed
        cm.prepare(rgbs[i:i + batch])
    clock.stop("preprocess")
    xs = [cm.prepare(rgbs[i:i + batch]) for i in range(0, n, batch)]
    warm(cm.probs_and_cams, xs)
    t0 = time.perf_counter()
    fw = [cm.probs_and_cams(x) for x in xs]  # the model row's call; its outputs feed the stages below
    clock.wall["forward"] = 1000.0 * (time.perf_counter() - t0) / n
    time.sleep(0.1)  # TensorFlow's pool threads spin a moment after a pass: keep that out of the stages
    stages = build_stages(cm)
    classes = tuple(cm.classes)
    clock.start()
    results = []
    for k, (probs, cams) in enumerate(fw):
        batch_frames = frames[k * batch:(k + 1) * batch]
        results += analyse(batch_frames, probs, cams, classes, stages)
    clock.stop("cam+boxes")
    from videocam.io.csvfile import CsvWriter
    with tempfile.TemporaryDirectory() as d:
        clock.start()
        with CsvWriter(Path(d) / "x.csv", classes) as cw:
            for r in results:
                cw.write(r)
        clock.stop("csv")
    ren = Renderer()
    clock.start()
    drawn = [ren.annotate(r.frame.rgb, r) for r in results]
    clock.stop("annotate")
    with tempfile.TemporaryDirectory() as d:
        w = Mp4Writer(Path(d) / "x.mp4", 25.0, drawn[0].shape[1], drawn[0].shape[0], threads=encoder_threads())
        clock.start()
        for r, img in zip(results, drawn):
            w.write(img, r.frame.time_s)
        w.close()
        clock.stop("encode")
    order = ["decode", "decode (csv-only)", "preprocess", "forward", "cam+boxes", "csv", "annotate", "encode"]
    return {k: clock.wall[k] for k in order}, {k: clock.core[k] for k in order if k in clock.core}


BREAKDOWN_REPEATS = 3  # with --repeat, the breakdown runs this many times and each stage takes its median


def _median_breakdown(runs: list[tuple[dict, dict]]) -> tuple[dict, dict]:
    """Per stage, the median of several breakdowns' (wall, core) ms a frame: one breakdown of 300
    frames moved the reader's core time by a quarter between runs (0.41-0.54 ms a frame)."""
    walls, cores = zip(*runs)
    return ({k: float(np.median([w[k] for w in walls])) for k in walls[0]},
            {k: float(np.median([c[k] for c in cores])) for k in cores[0]})


def warm(fn, xs) -> None:
    """Call `fn` once per distinct batch shape in `xs`, so that tracing (TensorFlow, once) or
    compiling (JAX, once per shape) stays out of the timings: start-up is its own row."""
    seen = set()
    for x in xs:
        if x.shape not in seen:
            seen.add(x.shape)
            fn(x)


def pipeline_run(cm, video, batch: int, gif: bool, mp4: bool = True) -> tuple[float, int]:
    """(frames/s, frames) of `videocam run` over the whole of `video`."""
    from videocam.pipeline.process import process_video
    with tempfile.TemporaryDirectory() as d:
        s = process_video(video, model=cm, out_dir=d, gif=gif, mp4=mp4, batch=batch, handle_signals=False,
                          warn=lambda m: None)
    return s.frames / s.seconds, s.frames


def per_frame_baseline(cm, frames, out_gif: Path) -> float:
    """The original blog's loop, reproduced faithfully; returns frames/s."""
    import cv2
    import imageio.v2 as imageio
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.patches as patches
    import matplotlib.pyplot as plt
    from PIL import Image
    from scipy import ndimage
    from skimage.measure import regionprops

    from videocam.model._backend import keras
    from videocam.model.nets import preprocess

    K = keras()
    km = cm.keras_model
    feat_model = K.Model(km.inputs, [km.outputs[0], km.get_layer(cm.cam_layer_name).output])
    W = cm.weights
    h, w = cm.input_size
    pngs = []
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        for i, f in enumerate(frames):
            img = Image.fromarray(f.rgb).resize((w, h))
            x = preprocess(np.asarray(img, dtype=np.float32)[None], cm.info.preprocessing)
            pred, conv = feat_model.predict(x, verbose=0)
            c = int(np.argmax(pred[0]))
            conv = conv[0]
            cam = np.zeros(conv.shape[:2], dtype=np.float32)
            for k in range(conv.shape[2]):  # the blog's loop over channels
                cam += W[k, c] * conv[:, :, k]
            cam = cv2.resize(cam, (w, h))
            cam = cam / cam.max() if cam.max() > 0 else cam
            labels, _ = ndimage.label(cam > 0.2)
            fig, ax = plt.subplots(1, figsize=(6, 6))
            ax.imshow(np.asarray(img))
            ax.imshow(cam, cmap="jet", alpha=0.5)
            for r in regionprops(labels):
                y0, x0, y1, x1 = r.bbox
                ax.add_patch(patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="r"))
            ax.set_title(f"{cm.classes[c]} {pred[0, c]:.2f}")
            p = Path(d) / f"{i:05d}.png"
            fig.savefig(p)
            plt.close(fig)
            pngs.append(p)
        imageio.mimsave(out_gif, [imageio.imread(p) for p in pngs], duration=0.1)
        return len(frames) / (time.perf_counter() - t0)


def precision_drift(cm, frames, precision: str = "bf16", batch: int = 16) -> dict:
    """Speed-up and drift of `precision` against float32 on the same frames.

    Drift: label agreement, mean/min IoU of the decided class's box, and the
    largest probability difference.
    """
    from videocam.stages.localize import cam_boxes, iou

    def run():
        probs, cams, t = [], [], 0.0
        for k in range(0, len(frames), batch):
            x = cm.prepare([f.rgb for f in frames[k:k + batch]])
            t0 = time.perf_counter()
            p, c = cm.probs_and_cams(x)
            t += time.perf_counter() - t0
            probs.append(p)
            cams.append(c)
        return np.concatenate(probs), np.concatenate(cams), t

    old = cm.precision
    try:
        cm.set_precision("float32")
        run()  # warm-up / trace
        p32, c32, t32 = run()
        cm.set_precision(precision)
        run()
        plo, clo, tlo = run()
    finally:
        cm.set_precision(old)
    h, w = frames[0].height, frames[0].width
    agree = p32.argmax(1) == plo.argmax(1)
    ious = []
    for i in range(len(frames)):
        c = int(p32[i].argmax())
        a = cam_boxes(c32[i, c], w, h, mode="union")
        b = cam_boxes(clo[i, c], w, h, mode="union")
        if a and b:
            ious.append(iou(a[0], b[0]))
    return {"precision": precision, "speedup": round(t32 / tlo, 3) if tlo > 0 else None,
            "label_agreement": round(float(agree.mean()), 4),
            "box_iou_mean": round(float(np.mean(ious)), 4) if ious else None,
            "box_iou_min": round(float(np.min(ious)), 4) if ious else None,
            "max_prob_diff": round(float(np.abs(p32 - plo).max()), 4)}


def startup_seconds(model_path, video) -> float:
    """Wall time from a fresh interpreter's import to the first frame's result."""
    code = (
        "import time; t=time.perf_counter()\n"
        "import videocam\n"
        "from videocam.io.reader import VideoReader\n"
        f"m = videocam.load_model({str(model_path)!r} if {model_path is not None} else None)\n"
        f"r = VideoReader({str(video)!r}); f = next(iter(r))\n"
        "m.predict(f.rgb[None])\n"
        "print(time.perf_counter()-t)\n"
    )
    from videocam.studies.child import python_command
    out = subprocess.run(python_command(code=code), capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run_bench(model=None, video=None, frames: int = 1200, batch: int | None = None, json_path=None,
              baseline_frames: int = 30, precision: str = "float32", with_bf16: bool = True,
              repeat: int = 1, log=print) -> dict:
    """Measure and print the table; `repeat` > 1 alternates model and pipeline runs that many times.

    With repeats each row is the median, and each ratio the median of the
    ratios of runs made back to back (a noisy machine drifts between runs),
    with their range.
    """
    from videocam.model._backend import pass_threads_in_use
    from videocam.pipeline.process import load_for_run
    from videocam.synth.video import make_video

    tmp = tempfile.TemporaryDirectory()
    try:
        if video is None:
            video = Path(tmp.name) / "bench.mp4"
            make_video(video, Path(tmp.name) / "bench.truth.csv", seed=7, duration_s=frames / 25.0,
                       fps=25, size=(640, 360), progress=False)
        cm = load_for_run(model)  # as `run` does
        pass_threads = pass_threads_in_use()
        if precision != "float32":
            cm.set_precision(precision)
        fr, fps, w, h = _frames(video, min(frames, IN_MEMORY_FRAMES), cm)
        n = len(fr)
        log(f"model {model or 'bundled default'} ({', '.join(cm.classes)}), {w}x{h}, "
            f"{os.cpu_count()} CPUs, {pass_threads} per forward pass, precision {precision}")
        by_batch = model_ceiling(cm, fr, sorted(set(BATCHES) | ({batch} if batch else set())))
        best_b = max(by_batch, key=by_batch.get)
        b = batch or best_b
        size = cm.input_size_for(w, h)
        warm(cm.probs_and_cams, [cm.prepare([f.model_input(size) for f in fr[k:k + b]], size)
                                 for k in range(0, n, b)])
        runs: dict[str, list[float]] = {"model": [], "csv-only": [], "pipeline": [], "pipeline+gif": []}
        in_flight = []
        for k in range(max(1, int(repeat))):
            m, f = best_model_fps(cm, fr, b, by_batch[b] if k == 0 else None)
            runs["model"].append(m)
            in_flight.append(f)
            for name, gif, mp4 in (("csv-only", False, False), ("pipeline", False, True), ("pipeline+gif", True, True)):
                rate, run_frames = pipeline_run(cm, video, b, gif, mp4)
                runs[name].append(rate)
        rows = [(name, float(np.median(v))) for name, v in runs.items()]
        ratios = {name: [x / m for x, m in zip(v, runs["model"])] for name, v in runs.items()}
        if baseline_frames and not cm.gradcam:
            rows.append(("per-frame baseline", per_frame_baseline(cm, fr[:baseline_frames],
                                                                 Path(tmp.name) / "baseline.gif")))
        stages, core = _median_breakdown([stage_breakdown(cm, video, fr, b)
                                          for _ in range(min(BREAKDOWN_REPEATS, max(1, int(repeat))))])
        start = startup_seconds(model, video)
        drift = precision_drift(cm, fr, "bf16", b) if with_bf16 else None
        base = rows[0][1]
        cpus = os.cpu_count() or 1
        bounds = packing_bounds(core, base, cpus)
        # each run against the bound of the model run just before it, as the ratios to the model
        run_bounds = [packing_bounds(core, m, cpus) for m in runs["model"]]
        of_bound = {name: [x / b[name] for x, b in zip(v, run_bounds)]
                    for name, v in runs.items() if name != "model"}
        report = {
            "frames": n, "run_frames": run_frames, "size": [w, h], "batch": b, "precision": precision, "threads_per_pass": pass_threads,
            "model_fps_by_batch": {str(k): round(v, 1) for k, v in by_batch.items()},
            "model_in_flight": max(set(in_flight), key=in_flight.count),
            "repeat": max(1, int(repeat)),
            "rows": [_row(k, v, base, ratios.get(k) if k != "model" else None, bounds.get(k), of_bound.get(k))
                     for k, v in rows],
            "stages_ms_per_frame": {k: round(v, 2) for k, v in stages.items()},
            "stages_core_ms_per_frame": {k: round(v, 2) for k, v in core.items()},
            "startup_s": round(start, 2),
        }
        if drift is not None:
            report["bf16"] = drift
        log(format_report(report))
        if json_path:
            Path(json_path).write_text(json.dumps(report, indent=1))
        return report
    finally:
        tmp.cleanup()


# The work each row does besides the forward pass, by stage of the breakdown. The GIF's own
# quantisation is not in the breakdown, so pipeline+gif's bound is pipeline's (an upper bound).
ROW_STAGES = {
    "csv-only": ("decode (csv-only)", "preprocess", "cam+boxes", "csv"),
    "pipeline": ("decode", "preprocess", "cam+boxes", "csv", "annotate", "encode"),
    "pipeline+gif": ("decode", "preprocess", "cam+boxes", "csv", "annotate", "encode"),
}


def packing_bounds(core_ms: dict, model_fps: float, cpus: int) -> dict:
    """The best frame rate each row could reach on `cpus` cores with perfect packing.

    The model keeps every core for its own best time a frame (1 / `model_fps`: cpus x that in
    core-ms, idle moments included, since nothing else can reliably use them); everything else a
    row does costs its stages' core-ms (CPU time, threads included). With perfect packing the
    cores share that sum: fps <= 1000 * cpus / (cpus * 1000 / model_fps + rest), never above the
    model's own rate.
    """
    model_core = cpus * 1000.0 / model_fps if model_fps > 0 else 0.0
    out = {"model": model_fps}
    for name, parts in ROW_STAGES.items():
        core = model_core + sum(core_ms.get(p, 0.0) for p in parts)
        out[name] = min(model_fps, 1000.0 * cpus / core) if core > 0 else model_fps
    return out


def _row(name: str, fps: float, base: float, ratios: list[float] | None, bound: float | None = None,
         of_bound: list[float] | None = None) -> dict:
    row = {"name": name, "fps": round(fps, 1)}
    if bound:
        row["bound_fps"] = round(bound, 1)
        row["of_bound"] = round(fps / bound, 3)
        if of_bound and len(of_bound) > 1:  # the median of each run against its own model run's bound
            row["of_bound"] = round(float(np.median(of_bound)), 3)
            row["of_bound_range"] = [round(min(of_bound), 3), round(max(of_bound), 3)]
    if ratios and len(ratios) > 1:
        row["ratio"] = round(float(np.median(ratios)), 3)
        row["ratio_range"] = [round(min(ratios), 3), round(max(ratios), 3)]
    else:
        row["ratio"] = round(fps / base, 3)
    return row


def format_report(r: dict) -> str:
    reps = r.get("repeat", 1)
    lines = ["model forward fps by batch: " + ", ".join(f"{k}: {v}" for k, v in r["model_fps_by_batch"].items())
             + f"; model row: batch {r['batch']}, best of one and two batches in flight "
               f"(mostly {r.get('model_in_flight', 1)}), on {r['frames']} frames held in memory; the run rows "
               f"over the whole clip ({r.get('run_frames', r['frames'])} frames)",
             f"{'row':<20}{'frames/s':>10}{'x model':>10}{'bound':>10}{'x bound':>9}"
             + (f"  ranges over {reps} back-to-back runs (x model; x bound)" if reps > 1 else "")]
    for row in r["rows"]:
        rng, brng = row.get("ratio_range"), row.get("of_bound_range")
        bound = (f"{row['bound_fps']:>10.1f}{row['of_bound']:>9.3f}" if row.get("bound_fps")
                 else f"{'':>10}{'':>9}")
        lines.append(f"{row['name']:<20}{row['fps']:>10.1f}{row['ratio']:>10.3f}{bound}"
                     + (f"  {rng[0]:.3f}-{rng[1]:.3f}" if rng else "")
                     + (f"; {brng[0]:.3f}-{brng[1]:.3f}" if brng else ""))
    st = r["stages_ms_per_frame"]
    total = sum(st.values())
    lines.append("bound: the packing bound of each row on these cores: the model's time on every core plus "
                 "the core time of the row's other stages (below), shared by the cores"
                 + ("; x model and x bound: medians of each run against the model run just before it, "
                    f"the breakdown the median of {min(BREAKDOWN_REPEATS, reps)}" if reps > 1 else ""))
    lines.append("stage breakdown (ms/frame, run one after another): " + ", ".join(
        f"{k} {v:.2f} ({100 * v / total:.0f}%)" for k, v in st.items()))
    core = r.get("stages_core_ms_per_frame")
    if core:
        lines.append("core time (CPU ms/frame, all threads): " + ", ".join(f"{k} {v:.2f}" for k, v in core.items()))
    lines.append(f"start-up (import to first frame): {r['startup_s']:.2f} s")
    d = r.get("bf16")
    if d:
        lines.append(f"bf16 vs float32 forward: {d['speedup']:.2f}x speed, labels agree {d['label_agreement']:.1%}, "
                     f"box IoU mean {d['box_iou_mean']} (min {d['box_iou_min']}), "
                     f"max prob diff {d['max_prob_diff']}")
    return "\n".join(lines)
