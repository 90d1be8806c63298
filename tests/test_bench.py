"""`videocam bench` runs end to end on a tiny model and reports every row (no speed asserted)."""
import json


def test_bench_reports_all_rows(tiny_model_path, tmp_path, capsys):
    from videocam.cli import main
    out = tmp_path / "bench.json"
    code = main(["bench", "--model", str(tiny_model_path), "--frames", "24", "--baseline-frames", "3",
                 "--batch", "8", "--json", str(out)])
    assert code == 0
    r = json.loads(out.read_text())
    names = [row["name"] for row in r["rows"]]
    assert names == ["model", "pipeline", "pipeline+gif", "per-frame baseline"]
    assert r["rows"][0]["ratio"] == 1.0 and all(row["fps"] > 0 for row in r["rows"])
    assert set(r["stages_ms_per_frame"]) == {"decode", "preprocess", "forward", "cam+boxes", "annotate", "encode"}
    assert r["startup_s"] > 0 and r["frames"] == 24
    assert 0.0 <= r["bf16"]["label_agreement"] <= 1.0
    assert "x model" in capsys.readouterr().out
