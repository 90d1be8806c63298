"""The second look of `--multi` (stages/refine.py): each box of a several-box frame, cut out and run again."""
import numpy as np

from videocam.stages.refine import Refine, crop_around
from videocam.types import Box, Frame, FrameResult

CLASSES = ("red", "green", "nobody")


class ColourModel:
    """Names a crop by its colour (red / green / else nobody); its maps light that colour's pixels."""

    input_size = (64, 64)
    passes = 0

    def prepare(self, frames, size):
        import cv2
        return np.stack([cv2.resize(np.asarray(f), (size[1], size[0]), interpolation=cv2.INTER_NEAREST)
                         for f in frames]).astype(np.float32)

    def probs_and_cams(self, x):
        self.passes += 1
        red = (x[..., 0] > 128) & (x[..., 1] < 128)
        green = (x[..., 1] > 128) & (x[..., 0] < 128)
        share = np.stack([red.mean(axis=(1, 2)), green.mean(axis=(1, 2))], axis=1)
        probs = np.zeros((len(x), 3), np.float32)
        for i, (r, g) in enumerate(share):
            probs[i, 0 if r >= g and r > 0 else (1 if g > 0 else 2)] = 1.0
        cams = np.stack([red, green, np.zeros_like(red)], axis=1).astype(np.float32)
        return probs, cams


def frame_result(boxes, label="red"):
    rgb = np.zeros((90, 160, 3), np.uint8)
    rgb[20:80, 10:40] = (255, 0, 0)     # a red person on the left
    rgb[30:80, 100:130] = (0, 255, 0)   # a green one on the right
    cams = np.zeros((3, 9, 16), np.float32)
    cams[0, 2:8, 1:4] = 1.0
    r = FrameResult(frame=Frame(0, 0.0, rgb), classes=CLASSES, probs=np.array([0.6, 0.4, 0.0], np.float32),
                    cams=cams, label=label, score=0.6)
    r.boxes = boxes
    return r


def test_crop_is_a_square_with_context_cut_to_the_frame():
    assert crop_around(Box("a", 1.0, 10, 20, 40, 80), 160, 90, margin=0.5) == (0, 5, 70, 90)


def test_a_box_whose_crop_names_another_class_goes_and_the_others_take_their_crops_box():
    red, green = Box("red", 0.6, 5, 15, 45, 85), Box("green", 0.4, 95, 25, 135, 85)
    look_alike = Box("green", 0.3, 12, 22, 38, 78)  # green's map on the red person
    model = ColourModel()
    r, = Refine(model, torso=False)([frame_result([red, green, look_alike])])
    assert model.passes == 2  # every box's crop of the batch in one pass, the row's windows in one more
    assert [b.label for b in r.boxes] == ["red", "green"]
    from videocam.stages.localize import iou
    truth = {"red": Box("red", 1, 10, 20, 40, 80), "green": Box("green", 1, 100, 30, 130, 80)}
    for b, before in zip(r.boxes, (red, green)):  # the crops' own maps box each person tighter
        assert iou(b, truth[b.label]) > 0.85 > iou(before, truth[b.label])


def test_one_box_left_gets_the_whole_frame_box_and_the_one_box_rule():
    from videocam.stages.localize import cam_boxes, torso_box
    red, look_alike = Box("red", 0.6, 5, 15, 45, 85), Box("green", 0.3, 12, 22, 38, 78)
    f = frame_result([red, look_alike])
    whole = cam_boxes(f.cams[0], 160, 90, label="red", score=0.6, mode="union")[0]
    r, = Refine(ColourModel(), torso=True, fill=False)([f])
    assert r.boxes == [torso_box(whole, 160, 90)]  # as Localize boxes a frame with one box


def test_a_person_nobody_boxed_is_found_by_a_window_along_the_row():
    """The frame's map boxed red twice (a look-alike green on the red person) and never the green
    person: the look-alike goes, and a window of the row finds the green person."""
    from videocam.stages.localize import iou
    from videocam.stages.row import FILL_MIN_P
    red, look_alike = Box("red", 0.6, 5, 15, 45, 85), Box("green", 0.3, 12, 22, 38, 78)
    r, = Refine(ColourModel(), torso=False)([frame_result([red, look_alike])])
    assert [b.label for b in r.boxes] == ["red", "green"]
    assert iou(r.boxes[1], Box("green", 1, 100, 30, 130, 80)) > 0.7 and r.boxes[1].score >= FILL_MIN_P
    f = frame_result([red, look_alike])
    f.frame.rgb[:, 60:] = 0  # nobody else: the windows name nobody, and red is boxed already
    r, = Refine(ColourModel(), torso=False)([f])
    assert [b.label for b in r.boxes] == ["red"]


def test_frames_with_fewer_than_two_boxes_cost_no_pass():
    model = ColourModel()
    one = frame_result([Box("red", 0.6, 5, 15, 45, 85)])
    out = Refine(model)([one, frame_result([], label="nobody")])
    assert model.passes == 0 and out[0].boxes == [Box("red", 0.6, 5, 15, 45, 85)] and out[1].boxes == []


def test_multi_runs_refine_by_default_and_no_refine_leaves_it_out(tiny_model):
    from videocam.stages.chain import build_stages
    names = [type(s).__name__ for s in build_stages(tiny_model, multi=True)]
    assert names[-2:] == ["Refine", "Lead"]
    assert "Refine" not in [type(s).__name__ for s in build_stages(tiny_model, multi=True, refine=False)]
    assert "Refine" not in [type(s).__name__ for s in build_stages(tiny_model)]


class SoftColourModel(ColourModel):
    """As ColourModel, with each colour's share of the crop as its probability."""

    def probs_and_cams(self, x):
        _, cams = super().probs_and_cams(x)
        share = cams[:, :2].mean(axis=(2, 3))
        probs = np.concatenate([share, (share.sum(axis=1, keepdims=True) == 0)], axis=1).astype(np.float32)
        return probs / probs.sum(axis=1, keepdims=True), cams


def test_the_largest_box_stays_when_its_crop_names_the_neighbour_and_boxes_its_own_evidence():
    """A real person's map blurred over a neighbour gives the largest box, whose crop is most of the
    frame and names the neighbour: it stays (its class is still in the crop), boxed from its own map
    minus the neighbour's; a small look-alike box whose crop names another class still goes."""
    from videocam.stages.localize import iou
    red = Box("red", 0.6, 5, 15, 45, 85)
    blurred_green = Box("green", 0.4, 5, 15, 135, 85)  # spans both people: the largest box
    look_alike = Box("green", 0.1, 12, 22, 38, 78)  # green on the red person: its crop names red
    r, = Refine(SoftColourModel(), torso=False)([frame_result([red, blurred_green, look_alike])])
    assert [b.label for b in r.boxes] == ["red", "green"]
    green = r.boxes[1]
    assert iou(green, Box("green", 1, 100, 30, 130, 80)) > 0.85  # the green person alone, not both
    dropped, = Refine(SoftColourModel(), torso=False, largest_min_p=0.9)([frame_result([red, blurred_green])])
    assert [b.label for b in dropped.boxes] == ["red"]  # under the floor: dropped, as before


def test_a_crops_box_is_its_maps_largest_region_not_a_neighbours_patch_too():
    """The crop's map of one person may light a neighbour's tie, a region of its own: the box
    takes the largest region (a union of regions reached over the neighbour)."""
    red, green = Box("red", 0.6, 5, 15, 45, 85), Box("green", 0.4, 95, 25, 135, 85)
    f = frame_result([red, green])
    f.frame.rgb[60:70, 55:62] = (255, 0, 0)  # a red tie on the way to the green person, inside red's crop
    r, = Refine(ColourModel(), torso=False)([f])
    assert [b.label for b in r.boxes] == ["red", "green"]
    assert r.boxes[0].x1 <= 45  # the red person (10..40), not out to the patch at 55..62


def test_two_people_left_take_the_torso_rule_a_two_shot_reaches_the_bottom_edge():
    from videocam.stages.refine import TWO_SHOT_MIN_WIDTH
    red, green = Box("red", 0.6, 5, 15, 45, 85), Box("green", 0.4, 95, 25, 135, 85)
    tight, = Refine(ColourModel(), torso=False)([frame_result([red, green])])
    shot, = Refine(ColourModel(), torso=True)([frame_result([red, green])])
    assert all(b.y1 < 90 for b in tight.boxes)  # the maps stop where the colour does (y 80)
    for a, b in zip(tight.boxes, shot.boxes):
        assert a.x1 - a.x0 >= TWO_SHOT_MIN_WIDTH * 160
        assert b.y1 == 90 and b.y0 == a.y0 and b.x1 - b.x0 > a.x1 - a.x0  # down to the edge, wider


def test_one_wide_box_over_two_people_is_split_into_each_persons_box():
    """The frame's map spread over both people as one wide box: a row of windows through it
    names the green person and the red one, each then boxed on its own."""
    from videocam.stages.localize import iou
    from videocam.stages.row import may_hold_several
    f = frame_result([Box("red", 0.9, 5, 15, 140, 85)])  # 135 wide, 70 tall: over both people
    assert may_hold_several(f)
    r, = Refine(ColourModel(), torso=False)([f])
    assert sorted(b.label for b in r.boxes) == ["green", "red"]
    truth = {"red": Box("red", 1, 10, 20, 40, 80), "green": Box("green", 1, 100, 30, 130, 80)}
    assert all(iou(b, truth[b.label]) > 0.6 for b in r.boxes)
    alone = frame_result([Box("red", 0.9, 5, 15, 140, 85)])
    alone.frame.rgb[:, 60:] = 0  # one person under a wide box: the frame stays as it was
    r, = Refine(ColourModel(), torso=False)([alone])
    assert r.boxes == [Box("red", 0.9, 5, 15, 140, 85)]
    assert not may_hold_several(frame_result([Box("red", 0.9, 5, 15, 60, 85)]))
