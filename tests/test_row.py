"""The row search's geometry (stages/row.py) and a crop map's box (stages/crops.py); the search
itself, through `Refine`, is in test_refine.py."""
import numpy as np

from videocam.stages.crops import box_in_crop
from videocam.stages.row import PERSON_ASPECT, row_in, row_of
from videocam.types import Box


def test_a_row_is_a_median_person_wide_and_as_tall_as_the_boxes():
    boxes = [Box("a", 1, 10, 40, 60, 100), Box("b", 1, 200, 30, 240, 90), Box("c", 1, 300, 50, 400, 110)]
    row = row_of(boxes)
    assert (row.width, row.y0, row.y1, row.inside) == (50.0, 30, 110, None)


def test_a_row_through_one_wide_box_takes_a_persons_width_from_its_height():
    wide = Box("a", 1, 0, 100, 500, 300)
    row = row_in(wide)
    assert row.width == 200 * PERSON_ASPECT and (row.y0, row.y1) == (100, 300) and row.inside is wide


def test_a_crop_maps_box_comes_back_in_frame_pixels_or_none():
    cam = np.zeros((14, 14), np.float32)
    cam[7:14, 0:7] = 1.0  # the crop's lower-left quarter
    b = box_in_crop(cam, (100, 50, 240, 190), "a", 0.9)
    assert (b.label, b.score) == ("a", 0.9)
    assert abs(b.x0 - 100) <= 2 and abs(b.y0 - 120) <= 6 and abs(b.x1 - 170) <= 6 and abs(b.y1 - 190) <= 2
    assert box_in_crop(np.zeros((14, 14), np.float32) - 1.0, (0, 0, 10, 10), "a", 0.9) is None
