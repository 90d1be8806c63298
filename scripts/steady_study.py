"""The steady-label study: why `Steady` is the shot's running mean of the probabilities (K 80).

The label used to be held by hysteresis on the per-frame decision (`VoteSteady` below: a running
vote share over ~40 frames, a switch only at a 0.6 lead). That kept flicker low, but the label was
then often not the highest probability the row wrote. This study compares, on cached forward
passes of the drawn benchmark (the bundled model, `videocam benchmark`'s videos):

    python scripts/steady_study.py tuning   # seeds 201-215: every candidate; K chosen here
    python scripts/steady_study.py report   # seeds 101-120: off / before / the chosen one only

Printed per configuration: mean (worst seed) of the benchmark's measures, the Brier score of the
written probabilities against the truth's label, and rows whose label is not their highest p_.
Results: docs/benchmark/steady_tuning.json, docs/benchmark/steady_report.json; docs/stages.md.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np

from videocam.eval.ablation import Config, forward_video, replay
from videocam.eval.benchmark import REPORT_SEEDS, ensure_video, summarize
from videocam.eval.score import score_tables
from videocam.io.csvfile import read_csv
from videocam.model.loading import load_model
from videocam.stages.decide import Decide
from videocam.stages.localize import ONE_PERSON_UNION_PEAK, Localize
from videocam.stages.smooth import FollowsShots, Smooth
from videocam.stages.steady import Steady
from videocam.types import NOBODY, FrameResult

TUNING = tuple(range(201, 216))


class VoteSteady(Steady):
    """The steady label before: hysteresis on the per-frame decision (votes over ~k frames, switch at
    margin), after `Decide`; `Steady`'s set-up, cut following and on/off."""

    def __init__(self, k: int = 40, margin: float = 0.6, own_cuts: bool = False) -> None:
        self.margin = float(margin)
        super().__init__(k, own_cuts)

    def reset(self) -> None:
        super().reset()
        self._votes: np.ndarray | None = None
        self._label: str | None = None

    def __call__(self, results: list[FrameResult]) -> list[FrameResult]:
        if not self.enabled:
            return results
        for r in results:
            self._follow(r)
            cut = self._is_cut(r)
            names = list(r.classes) + ([NOBODY] if NOBODY not in r.classes else [])
            vote = np.zeros(len(names), np.float32)
            vote[names.index(r.label) if r.label in names else len(names) - 1] = 1.0
            if cut or self._votes is None or self._votes.shape != vote.shape or self._label is None:
                self._votes, self._n, self._label = vote, 1, r.label
                continue
            self._n += 1
            a = max(1.0 / self._n, 2.0 / (self.k + 1.0))
            self._votes = self._votes + np.float32(a) * (vote - self._votes)
            cur = names.index(self._label) if self._label in names else len(names) - 1
            best = int(np.argmax(self._votes))
            if best != cur and self._votes[best] > self._votes[cur] + self.margin:
                self._label = names[best]
            if r.label != self._label:
                self._relabel(r, self._label)
        return results

    @staticmethod
    def _relabel(r: FrameResult, label: str) -> None:
        r.label = label
        if label == NOBODY:
            r.score = float(r.probs[r.classes.index(NOBODY)]) if NOBODY in r.classes else float(np.max(r.probs))
            r.notes["present"] = []
        else:
            i = r.classes.index(label)
            r.score = float(r.probs[i])
            r.notes["present"] = [i]


class StickyPosterior(FollowsShots):
    """probs <- forward filter of a sticky Markov chain over the labels: prior = stay*prev + (1-stay)/C."""

    def __init__(self, stay=0.9, own_cuts=False):
        self.stay = float(stay)
        self._watch_cuts(own_cuts)
        self.reset()

    def reset(self):
        self._reset_cuts()
        self._post = None
        self._last_index = None

    def __call__(self, results):
        for r in results:
            self._follow(r)
            cut = self._is_cut(r)
            p = np.asarray(r.probs, np.float32)
            if cut or self._post is None or self._post.shape != p.shape:
                post = p
            else:
                prior = self.stay * self._post + (1.0 - self.stay) / p.size
                post = prior * p
                post = post / max(float(post.sum()), 1e-12)
            self._post = post.astype(np.float32)
            r.probs = self._post
        return results


def _localize():
    return Localize(threshold=0.2, norm="max", mode="union", torso=True, panel=True,
                    union_peak=ONE_PERSON_UNION_PEAK)


class Chain(Config):
    """A configuration given as a function that makes its stages."""

    def __init__(self, name, make):
        super().__init__(name)
        self.make = make

    def stages(self):
        return self.make()


def configs(which: str) -> list[Chain]:
    off = Chain("steady off", lambda: [Smooth(5), Decide(), _localize()])
    before = Chain("votes 40, margin 0.6 (before)", lambda: [Smooth(5), Decide(), VoteSteady(40, 0.6), _localize()])
    mean = lambda k: Chain(f"shot mean {k}", lambda: [Smooth(5), Steady(k), Decide(), _localize()])  # noqa: E731
    if which == "report":
        return [off, before, mean(80)]
    sticky = lambda s: Chain(f"sticky {s}", lambda: [Smooth(5), StickyPosterior(s), Decide(), _localize()])  # noqa: E731
    return [off, before, *(mean(k) for k in (40, 80, 160)), *(sticky(s) for s in (0.5, 0.8, 0.9, 0.95, 0.98))]


def brier(table, truth) -> float:
    """Mean squared error of the written probabilities against the truth's label (one-hot)."""
    t = {r.frame: r.label for r in truth.rows}
    s, n = 0.0, 0
    for r in table.rows:
        lab = t.get(r.frame)
        if lab is None or lab not in r.probs:
            continue
        s += sum((p - (c == lab)) ** 2 for c, p in r.probs.items())
        n += 1
    return s / max(n, 1)


def main(which: str, out: str | None = None) -> None:
    seeds = REPORT_SEEDS if which == "report" else TUNING
    cm = load_model(None)
    chains = configs(which)
    per = {c.name: [] for c in chains}
    for seed in seeds:
        t = time.time()
        mp4, truth = ensure_video(seed)
        raw = forward_video(cm, mp4)
        tt = read_csv(truth)
        for c in chains:
            table = replay(raw, c)
            d = score_tables(table, tt)
            inc = sum(1 for r in table.rows if r.label != NOBODY and max(r.probs, key=r.probs.get) != r.label)
            per[c.name].append({"seed": seed, "inconsistent": inc, "brier": brier(table, tt),
                                **{k: v for k, v in d.items() if k != "counts"}})
        print(f"seed {seed}: {time.time() - t:.0f} s", file=sys.stderr, flush=True)
    if out:
        with open(out, "w") as f:
            json.dump(per, f)
    keys = ("label_accuracy", "label_accuracy_multi", "flicker", "nobody_precision", "nobody_recall")
    print("| configuration | " + " | ".join(keys) + " | Brier | rows: label not the top p_ |")
    print("|---" * (len(keys) + 3) + "|")
    for name, rows in per.items():
        mean, worst = summarize(rows)
        cells = [f"{mean[k]:.3f} ({worst[k]['value']:.3f})" if k in worst else f"{mean[k]:.3f}" for k in keys]
        print(f"| {name} | " + " | ".join(cells) + f" | {np.mean([r['brier'] for r in rows]):.4f} | "
              f"{sum(r['inconsistent'] for r in rows)} of {sum(r['frames'] for r in rows)} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tuning", sys.argv[2] if len(sys.argv) > 2 else None)
