"""`videocam benchmark --seeds 101-120 [--multi] [--json FILE]`: the many-seed benchmark."""
from __future__ import annotations

from videocam.cli.options import add_stage_options, nonneg_float, stage_switches


def cmd_benchmark(a) -> int:
    from videocam.eval.benchmark import format_table, parse_seeds, run_benchmark, write_json

    seeds = parse_seeds(a.seeds)
    if not a.duration > 0:
        from videocam.errors import UsageError
        raise UsageError(f"--duration must be > 0, got {a.duration}")
    if a.ablate:
        from videocam.eval.benchmark import ablate_seeds, format_ablation
        result = ablate_seeds(seeds, model=a.model, cache=a.cache, duration_s=a.duration, scale=a.scale)
        print(f"mean (worst seed) over seeds {a.seeds}:")
        print(format_ablation(result))
        if a.json:
            write_json(result, a.json)
            print(f"wrote {a.json}")
        return 0
    result = run_benchmark(
        seeds, model=a.model, cache=a.cache, out=a.out, duration_s=a.duration, progress=True,
        multi=a.multi, smooth=a.smooth, threshold=a.threshold, boxes=a.boxes, norm=a.norm, nobody=a.nobody,
        scale=a.scale, batch=a.batch, aspect=a.aspect, steady=a.steady, **stage_switches(a),
    )
    print(format_table(result, markdown=a.markdown))
    if a.json:
        write_json(result, a.json)
        print(f"wrote {a.json}")
    return 0


def register(subparsers) -> None:
    from videocam.eval.benchmark import DEFAULT_CACHE, DURATION_S, REPORT_SEEDS, TUNING_SEEDS

    def span(seeds):
        return f"{seeds[0]}-{seeds[-1]}"

    p = subparsers.add_parser(
        "benchmark", help="many debate videos (one per seed) through `run`, scored: per seed, mean, worst",
        description="Make the synthetic debate video and truth of every seed (cached on disk, video and "
        "truth only), run the real `videocam run` path on each (CSV only) with the stage flags given, and "
        "print one row per seed, then the mean and the worst seed, for every measure of `videocam score`. "
        f"Tuning seeds (every constant was chosen on these): {span(TUNING_SEEDS)}; report seeds (no choice "
        f"ever looked at them): {span(REPORT_SEEDS)}.")
    p.add_argument("--seeds", default="report", metavar="SEEDS",
                   help="seeds: 101-120, 1,2,5-7, 'tuning' or 'report' (default: report, "
                   f"{span(REPORT_SEEDS)})")
    p.add_argument("--duration", type=nonneg_float("--duration"), default=DURATION_S, metavar="S",
                   help=f"video length in seconds (default {DURATION_S:g}; at least 20 s has every kind of shot)")
    p.add_argument("--cache", default=str(DEFAULT_CACHE), metavar="DIR",
                   help=f"where generated videos are kept and reused (default {DEFAULT_CACHE})")
    p.add_argument("--out", default=None, metavar="DIR", help="where the per-seed CSVs go (default CACHE/runs)")
    p.add_argument("--json", default=None, metavar="FILE", help="also write every figure as JSON here")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--ablate", action="store_true",
                   help="instead: each stage on and off (the rows of `videocam ablate`), one forward pass per "
                        "video, mean (worst seed) per configuration; of the stage flags only --model and "
                        "--scale apply")
    add_stage_options(p, None, "frames per forward pass (default: run's)")
    p.set_defaults(func=cmd_benchmark)
