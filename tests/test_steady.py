"""The steady label (videocam.stages.steady: the shot's mean), and the torso and territory box rules;
hand-made evidence, no TensorFlow."""
from __future__ import annotations

import numpy as np

from videocam.stages.chain import Decide, Localize, run_stages
from videocam.stages.localize import TORSO_MIN_WIDTH, TORSO_WIDEN, iou, torso_box
from videocam.stages.multi import Multi, compete
from videocam.stages.steady import Steady
from videocam.types import NOBODY, Box, Frame, FrameResult

CLASSES = ("ann", "bob", NOBODY)


def result(i, label, cut=False, w=64, h=36):
    probs = np.array([0.6, 0.3, 0.1] if label == "ann" else [0.3, 0.6, 0.1] if label == "bob" else [0.1, 0.1, 0.8],
                     np.float32)
    r = FrameResult(frame=Frame(i, i / 25, np.zeros((h, w, 3), np.uint8)), classes=CLASSES, probs=probs,
                    cams=np.zeros((3, 4, 4), np.float32))
    if cut:
        r.notes["cut"] = True
    return r


def labels(seq, stage, cuts=()):
    """The labels `Decide` gives after `stage`, each row checked: the label is its top class."""
    out = Decide()(stage([result(i, lab, i in cuts) for i, lab in enumerate(seq)]))
    for r in out:
        assert r.label == r.classes[int(np.argmax(r.probs))] and r.score == float(np.max(r.probs))
    return [r.label for r in out]


def changes(seq):
    return sum(a != b for a, b in zip(seq, seq[1:]))


def test_trading_label_is_held_within_a_shot():
    seq = ["ann", "ann", "ann"] + ["bob", "ann"] * 20  # two people of about the same size
    out = labels(seq, Steady(40))
    assert changes(seq) == 40 and changes(out) == 0 and set(out) == {"ann"}


def test_a_lasting_change_wins_and_a_cut_switches_at_once():
    seq = ["ann"] * 30 + [NOBODY] * 60  # someone leaves without a cut: follows, late
    out = labels(seq, Steady(40))
    assert changes(out) == 1 and out[-1] == NOBODY and 35 < out.index(NOBODY) < 60
    out = labels(seq, Steady(40), cuts={30})  # the same at a cut: at once
    assert out == seq


def test_the_row_is_the_shots_mean_and_off_is_identity():
    rs = Decide()(Steady(40)([result(0, "ann"), result(1, "ann"), result(2, "bob")]))
    assert rs[2].label == "ann" and rs[2].notes["present"] == [0]
    assert np.allclose(rs[2].probs, [0.5, 0.4, 0.1]) and abs(rs[2].score - 0.5) < 1e-6
    assert np.allclose(rs[2].notes["frame_probs"], [0.3, 0.6, 0.1])  # the frame's own, for Multi
    seq = ["ann", "bob", "ann"]
    assert labels(seq, Steady(0)) == seq


def test_state_carries_across_batches_and_restarts_on_a_new_stream():
    st = Steady(40)
    a = Decide()(st([result(i, "ann") for i in range(5)]))
    b = Decide()(st([result(5, "bob"), result(6, "bob")]))
    assert [r.label for r in a + b] == ["ann"] * 7
    c = Decide()(st([result(0, "bob")]))  # frame numbers go back: a new stream
    assert c[0].label == "bob"


def test_own_cut_detector_when_smoothing_is_off():
    st = Steady(40, own_cuts=True)
    rs = [result(i, "ann") for i in range(10)] + [result(10 + i, "bob") for i in range(3)]
    for r in rs[10:]:
        object.__setattr__(r.frame, "rgb", np.full((36, 64, 3), 200, np.uint8))  # a new picture: a cut
    assert [r.label for r in Decide()(st(rs))][-3:] == ["bob"] * 3


def test_torso_rule_reaches_the_bottom_and_widens_wide_boxes_only():
    W, H = 640, 360
    head = Box("ann", 0.9, 250, 20, 450, 180)  # 200 px: at least TORSO_MIN_WIDTH of 640
    assert head.x1 - head.x0 >= TORSO_MIN_WIDTH * W
    t = torso_box(head, W, H)
    assert t.y0 == 20 and t.y1 == H and t.x1 - t.x0 >= round(200 * TORSO_WIDEN) - 1
    assert (t.x0 + t.x1) / 2 == 350
    small = Box("bob", 0.9, 10, 10, 60, 80)
    assert torso_box(small, W, H) == small
    edge = torso_box(Box("ann", 0.9, 0, 0, 630, 100), W, H)
    assert edge.x0 == 0 and edge.x1 == W


def blob(cx, cy, peak=1.0, s=1.2, hw=14):
    y, x = np.mgrid[0:hw, 0:hw].astype(np.float32)
    return peak * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))


def test_territory_splits_neighbours_that_one_class_lights():
    classes = ("ann", "bob", "cy", NOBODY)
    cams = np.full((4, 14, 14), -0.1, np.float32)
    cams[0] += blob(3, 6) + 0.6 * blob(8, 6)  # ann lights herself and, weaker, bob beside her
    cams[1] += 0.9 * blob(8, 6)
    cams[2] += 0.5 * blob(3, 6)  # cy: a look-alike of ann, weaker on ann's own cells
    probs = np.array([0.6, 0.2, 0.15, 0.05], np.float32)
    present, maps = compete(probs, cams, classes, rel_peak=0.3, keep_peak=0.5)
    assert present == [0, 1]
    assert not np.any((maps[0] > 0) & (maps[1] > 0))  # disjoint cells
    r = FrameResult(frame=Frame(0, 0.0, np.zeros((224, 224, 3), np.uint8)), classes=classes, probs=probs, cams=cams)
    out = run_stages([Decide(), Multi(), Localize(torso=False)], [r])[0]
    boxes = {b.label: b for b in out.boxes}
    assert set(boxes) == {"ann", "bob"} and iou(boxes["ann"], boxes["bob"]) == 0.0
    old = run_stages([Decide(), Multi(territory=False), Localize(torso=False)],
                     [r.with_(notes={}, boxes=[], label="")])[0]
    ann_old = next(b for b in old.boxes if b.label == "ann")
    assert ann_old.x1 - ann_old.x0 > boxes["ann"].x1 - boxes["ann"].x0  # the old ann box ran on over bob


def test_panel_rule_shrinks_a_panel_only():
    from videocam.stages.localize import PANEL_MAX_HEIGHT, PANEL_SHRINK, panel_boxes

    W, H = 640, 360
    panel = [Box(n, 0.5, x, 100, x + 150, 250) for n, x in (("ann", 0), ("bob", 200), ("cy", 420))]
    out = panel_boxes(panel, W, H)
    for b, o in zip(panel, out):
        assert (o.x0 + o.x1) / 2 == (b.x0 + b.x1) / 2 and o.label == b.label
        assert abs((o.x1 - o.x0) - 150 * PANEL_SHRINK[0]) <= 1 and abs((o.y1 - o.y0) - 150 * PANEL_SHRINK[1]) <= 1
    assert panel_boxes(panel[:2], W, H) == panel[:2]  # two people: not a panel
    tall = panel[:2] + [Box("cy", 0.5, 420, 0, 570, int(PANEL_MAX_HEIGHT * H) + 1)]
    assert panel_boxes(tall, W, H) == tall  # a close-up among them: not a panel
