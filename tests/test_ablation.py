"""Stage ablation: one forward pass, configurations replayed on cached results."""
import numpy as np

from videocam.eval.ablation import Config, ablate, default_configs, format_table, forward_video, replay
from videocam.stages.decide import Decide
from videocam.types import NOBODY, Frame, FrameResult


def _result(probs, classes=("a", "b", NOBODY)):
    return FrameResult(frame=Frame(0, 0.0, np.zeros((8, 8, 3), np.uint8)), classes=tuple(classes),
                       probs=np.asarray(probs, np.float32), cams=np.zeros((3, 2, 2), np.float32))


def test_decide_without_nobody_always_names_a_person():
    r = Decide(use_nobody=False)([_result([0.2, 0.1, 0.7])])[0]
    assert r.label == "a" and abs(r.score - 0.2) < 1e-6
    r = Decide()([_result([0.2, 0.1, 0.7])])[0]
    assert r.label == NOBODY and r.notes["present"] == []
    r = Decide(nobody_below=0.5)([_result([0.4, 0.35, 0.25])])[0]
    assert r.label == NOBODY


def test_replay_matches_the_pipeline_rows(tiny_model, debate_clip, tmp_path):
    from videocam.io.csvfile import read_csv
    from videocam.pipeline.process import process_video
    mp4, truth, n = debate_clip
    raw = forward_video(tiny_model, mp4, batch=8)
    assert len(raw) == n
    from videocam.stages.steady import STEADY_K
    table = replay(raw, Config("run's defaults", smooth=5, steady=STEADY_K, torso=True, panel=True), batch=8)
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, mp4=False, batch=8, smooth=5)
    ran = read_csv(s.outputs["csv"])
    assert [r.label for r in table.rows] == [r.label for r in ran.rows]
    assert [len(r.boxes) for r in table.rows] == [len(r.boxes) for r in ran.rows]
    rows = ablate(tiny_model, mp4, truth, default_configs(), raw=raw)
    assert [r["config"] for r in rows][0].startswith("original")
    assert rows[0]["nobody_recall"] in (0.0, None)  # the original rule never says nobody
    assert "| configuration |" in format_table(rows)


def test_adaptive_scale_rows_match_run_with_scale_adaptive(tiny_model, debate_clip, tmp_path):
    from videocam.io.csvfile import read_csv
    from videocam.pipeline.process import process_video
    mp4, truth, n = debate_clip
    raw = forward_video(tiny_model, mp4, batch=8)
    configs = default_configs(rescale_model=tiny_model)
    assert [c.name for c in configs][-2:] == ["run --scale adaptive", "run --multi --scale adaptive"]
    table = replay(raw, configs[-1], batch=8)
    s = process_video(mp4, model=tiny_model, out_dir=tmp_path, mp4=False, batch=8, multi=True, scale="adaptive",
                      refine=False, handle_signals=False)  # the ablation's rows have no second look
    ran = read_csv(s.outputs["csv"])
    assert [r.label for r in table.rows] == [r.label for r in ran.rows]
    coords = lambda rows: [[(b.label, b.x0, b.y0, b.x1, b.y1) for b in r.boxes] for r in rows]  # noqa: E731
    assert coords(table.rows) == coords(ran.rows)
