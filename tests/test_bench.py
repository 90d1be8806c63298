"""`videocam bench` runs end to end on a tiny model and reports every row (no speed asserted)."""
import json


def test_bench_reports_all_rows(tiny_model_path, tmp_path, capsys):
    from videocam.cli.main import main
    out = tmp_path / "bench.json"
    code = main(["bench", "--model", str(tiny_model_path), "--frames", "24", "--baseline-frames", "3",
                 "--batch", "8", "--json", str(out)])
    assert code == 0
    r = json.loads(out.read_text())
    names = [row["name"] for row in r["rows"]]
    assert names == ["model", "csv-only", "pipeline", "pipeline+gif", "per-frame baseline"]
    assert all(row["bound_fps"] > 0 for row in r["rows"][:4])
    assert r["rows"][0]["ratio"] == 1.0 and all(row["fps"] > 0 for row in r["rows"])
    assert set(r["stages_ms_per_frame"]) == {"decode", "decode (csv-only)", "preprocess", "forward", "cam+boxes",
                                             "csv", "annotate", "encode"}
    assert set(r["stages_core_ms_per_frame"]) == set(r["stages_ms_per_frame"]) - {"forward"}
    assert r["startup_s"] > 0 and r["frames"] == 24
    assert 0.0 <= r["bf16"]["label_agreement"] <= 1.0
    assert "x model" in capsys.readouterr().out


def test_bench_repeat_alternates_runs_and_reports_the_ratio_range(tiny_model_path, tmp_path, capsys):
    from videocam.cli.main import main
    out = tmp_path / "bench.json"
    code = main(["bench", "--model", str(tiny_model_path), "--frames", "16", "--baseline-frames", "0",
                 "--batch", "6", "--no-bf16", "--repeat", "2", "--json", str(out)])
    assert code == 0
    r = json.loads(out.read_text())
    assert r["batch"] == 6 and r["model_fps_by_batch"]["6"] > 0  # a batch outside the measured set
    assert r["repeat"] == 2 and [row["name"] for row in r["rows"]] == ["model", "csv-only", "pipeline", "pipeline+gif"]
    assert r["rows"][0]["ratio"] == 1.0 and "ratio_range" not in r["rows"][0]
    for row in r["rows"][1:]:
        lo, hi = row["ratio_range"]
        assert 0 < lo <= row["ratio"] <= hi
        lo, hi = row["of_bound_range"]  # each run against its own model run's bound
        assert 0 < lo <= row["of_bound"] <= hi
    assert "back-to-back runs" in capsys.readouterr().out


def test_packing_bound_shares_the_cores():
    from videocam.studies.bench import packing_bounds
    st = {"forward": 2.0, "decode": 1.0, "decode (csv-only)": 0.5, "preprocess": 0.0, "cam+boxes": 0.5,
          "csv": 0.0, "annotate": 1.0, "encode": 2.0}
    b = packing_bounds(st, model_fps=500.0, cpus=2)
    assert b["model"] == 500.0
    assert abs(b["csv-only"] - 1000 * 2 / (2 * 2.0 + 1.0)) < 1e-9          # 400 fps
    assert abs(b["pipeline"] - 1000 * 2 / (2 * 2.0 + 4.5)) < 1e-9
    assert packing_bounds({"forward": 10.0}, model_fps=50.0, cpus=2)["csv-only"] == 50.0  # capped by the model
