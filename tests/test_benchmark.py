"""The many-seed benchmark (videocam.eval.benchmark, `videocam benchmark`) on 2-second clips."""
from __future__ import annotations

import json

import pytest

from videocam.errors import UsageError
from videocam.eval.benchmark import (
    MEASURES,
    REPORT_SEEDS,
    TUNING_SEEDS,
    ensure_video,
    format_table,
    parse_seeds,
    run_benchmark,
    summarize,
    video_paths,
)


def test_seed_sets_are_apart_and_big_enough():
    assert not set(TUNING_SEEDS) & set(REPORT_SEEDS)
    assert len(REPORT_SEEDS) >= 20
    assert not {0, 1, 2, 3} & (set(TUNING_SEEDS) | set(REPORT_SEEDS))  # training, demo, old tuning, test set


def test_parse_seeds():
    assert parse_seeds("101-103") == [101, 102, 103]
    assert parse_seeds("5, 7,9-10,7") == [5, 7, 9, 10]
    assert parse_seeds("tuning") == list(TUNING_SEEDS)
    assert parse_seeds("report") == list(REPORT_SEEDS)
    for bad in ("", "a-b", "10-5", "1,,x"):
        with pytest.raises(UsageError):
            parse_seeds(bad)


def test_summarize_mean_and_worst_by_direction():
    rows = [{"seed": 1, "label_accuracy": 1.0, "flicker": 1.0, "multi_recall": None},
            {"seed": 2, "label_accuracy": 0.5, "flicker": 2.0, "multi_recall": 0.4}]
    mean, worst = summarize(rows)
    assert mean["label_accuracy"] == pytest.approx(0.75) and worst["label_accuracy"] == {"value": 0.5, "seed": 2}
    assert worst["flicker"] == {"value": 2.0, "seed": 2}  # lower is better for flicker
    assert mean["multi_recall"] == pytest.approx(0.4)  # a seed without the measure is left out
    assert mean["nobody_recall"] is None and worst["nobody_recall"] is None
    text = format_table({"rows": rows, "mean": mean, "worst": worst})
    assert "mean" in text and "worst" in text and "2.000 (2)" in text
    assert format_table({"rows": rows, "mean": mean, "worst": worst}, markdown=True).startswith("| seed")


def test_run_benchmark_scores_each_seed_and_reuses_the_cache(tiny_model, tmp_path):
    kw = dict(cache=tmp_path / "cache", duration_s=2.0, size=(160, 90), progress=False)
    result = run_benchmark([7, 8], model=tiny_model, log=lambda *_: None, multi=True, **kw)
    assert [r["seed"] for r in result["rows"]] == [7, 8]
    for r in result["rows"]:
        assert r["frames"] == 50
        for key, _, _ in MEASURES:
            assert key in r
    mp4, truth = video_paths(7, tmp_path / "cache", 2.0, (160, 90))
    assert mp4.is_file() and truth.is_file()
    stamp = mp4.stat().st_mtime_ns
    assert ensure_video(7, tmp_path / "cache", 2.0, (160, 90)) == (mp4, truth)
    assert mp4.stat().st_mtime_ns == stamp  # not made again
    again = run_benchmark([7], model=tiny_model, log=lambda *_: None, multi=True, **kw)
    assert again["rows"][0]["box_recall"] == result["rows"][0]["box_recall"]


def test_cli_benchmark_json_and_errors(tiny_model_path, tmp_path, capsys):
    from videocam.cli.main import main

    out = tmp_path / "b.json"
    assert main(["benchmark", "--seeds", "9", "--duration", "1", "--cache", str(tmp_path / "c"), "--model",
                 str(tiny_model_path), "--json", str(out), "--smooth", "0"]) == 0
    text = capsys.readouterr().out
    assert "worst" in text and "flicker" in text
    d = json.loads(out.read_text())
    assert d["seeds"] == [9] and len(d["rows"]) == 1 and set(d["worst"]) == {k for k, _, _ in MEASURES}
    assert main(["benchmark", "--seeds", "x"]) == 2
    assert capsys.readouterr().err.startswith("error: --seeds")
    assert main(["benchmark", "--seeds", "9", "--duration", "0"]) == 2


def test_ablate_seeds_one_row_per_configuration(tiny_model, tmp_path):
    from videocam.eval.ablation import default_configs
    from videocam.eval.benchmark import ablate_seeds, format_ablation

    result = ablate_seeds([4], model=tiny_model, cache=tmp_path, duration_s=1.0, size=(160, 90), progress=False)
    assert list(result) == [c.name for c in default_configs()]
    for d in result.values():
        assert [r["seed"] for r in d["rows"]] == [4] and d["rows"][0]["frames"] == 25
    table = format_ablation(result)
    assert table.count("\n") == len(result) + 1 and "run --multi (territory)" in table
