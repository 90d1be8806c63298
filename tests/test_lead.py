"""The lead rule of `--multi` (stages/lead.py): a frame of several people is named for the box reaching highest."""
import numpy as np

from videocam.stages.lead import Lead
from videocam.types import NOBODY, Box, Frame, FrameResult

CLASSES = ("ann", "bob", "cy", NOBODY)


def result(index, boxes, label="ann", cut=False):
    r = FrameResult(frame=Frame(index, index / 25.0, None, size=(160, 90)), classes=CLASSES,
                    probs=np.array([0.5, 0.3, 0.1, 0.1], np.float32), cams=np.zeros((4, 9, 16), np.float32),
                    label=label, score=0.5)
    r.boxes = [Box(name, 0.5, x, top, x + 30, 90) for name, x, top in boxes]
    if cut:
        r.notes["cut"] = True
    return r


def two_shot(index, bob_top=10, ann_top=20, **kw):
    return result(index, [("ann", 10, ann_top), ("bob", 100, bob_top)], **kw)


def test_a_several_box_frame_is_named_for_the_box_reaching_highest():
    out = Lead()([two_shot(0), two_shot(1)])
    assert [r.label for r in out] == ["bob", "bob"]
    assert out[0].score == np.float32(0.3)  # the named person's probability


def test_people_of_about_the_same_size_do_not_trade_the_label():
    # bob is higher in most frames, ann in every third: the label stays bob
    frames = [two_shot(i, bob_top=22 if i % 3 == 2 else 10) for i in range(30)]
    assert {r.label for r in Lead()(frames)} == {"bob"}
    naive = Lead(k=0)([two_shot(i, bob_top=22 if i % 3 == 2 else 10) for i in range(30)])
    assert {r.label for r in naive} == {"ann", "bob"}  # without hysteresis it trades


def test_a_cut_starts_over_and_one_person_shots_keep_their_label():
    lead = Lead()
    shot1 = [two_shot(i) for i in range(5)]
    shot2 = [two_shot(5, bob_top=30, ann_top=5, cut=True)] + [two_shot(i, bob_top=30, ann_top=5) for i in range(6, 10)]
    assert [r.label for r in lead(shot1 + shot2)] == ["bob"] * 5 + ["ann"] * 5
    # one person, with a look-alike second box in one frame of ten: the chain's label stays
    single = [result(10, [("cy", 50, 10)], label="cy", cut=True)] + \
             [result(i, [("cy", 50, 10)] + ([("bob", 60, 5)] if i == 13 else []), label="cy") for i in range(11, 20)]
    assert {r.label for r in lead(single)} == {"cy"}


def test_nobody_frames_are_left_alone():
    lead = Lead()
    out = lead([two_shot(0), result(1, [], label=NOBODY), two_shot(2)])
    assert [r.label for r in out] == ["bob", NOBODY, "bob"]


def test_multi_ends_with_lead_unless_turned_off(tiny_model):
    from videocam.stages.chain import build_stages
    assert type(build_stages(tiny_model, multi=True)[-1]).__name__ == "Lead"
    assert "Lead" not in [type(s).__name__ for s in build_stages(tiny_model, multi=True, lead=False)]
    assert "Lead" not in [type(s).__name__ for s in build_stages(tiny_model, multi=True, refine=False)]
    assert "Lead" not in [type(s).__name__ for s in build_stages(tiny_model)]
    assert build_stages(tiny_model, multi=True, steady=0)[-1].k == 0  # --steady 0: no hysteresis here either


def test_a_frame_that_lost_the_held_persons_box_keeps_the_name():
    """In a panel, the second look sometimes drops the held person's box: the name stays (no trading)."""
    panel = [result(i, [("ann", 10, 5), ("bob", 60, 15)] + ([("cy", 110, 20)] if i % 4 == 3 else [])) for i in range(8)]
    for r in panel[2::3]:  # ann's box dropped here
        r.boxes = [b for b in r.boxes if b.label != "ann"] + [Box("cy", 0.5, 110, 20, 140, 90)]
    assert {r.label for r in Lead()(panel)} == {"ann"}


def test_with_smoothing_off_it_finds_the_cuts_itself(tiny_model):
    """--smooth 0 leaves no notes["cut"]: the held name must not cross into the next shot."""
    from videocam.stages.chain import build_stages
    lead = build_stages(tiny_model, multi=True, smooth=0)[-1]
    assert type(lead).__name__ == "Lead" and lead.cuts is not None
    assert build_stages(tiny_model, multi=True)[-1].cuts is None  # Smooth marks the cuts

    def pictured(r, value):
        object.__setattr__(r.frame, "rgb", np.full((90, 160, 3), value, np.uint8))
        return r
    shot1 = [pictured(two_shot(i), 40) for i in range(6)]
    shot2 = [pictured(two_shot(i, bob_top=30, ann_top=5), 220) for i in range(6, 12)]  # no cut mark
    assert [r.label for r in lead(shot1 + shot2)] == ["bob"] * 6 + ["ann"] * 6
