"""The synthetic debate benchmark: drawn people, labelled images, a TV-debate video and its truth.

No TensorFlow here; numpy + OpenCV (+ PyAV, through `videocam.io`, for the video).
"""
from videocam.synth.people import CLASSES, PEOPLE, SPLITS, Look, draw_person, sample_look
from videocam.synth.scenes import (
                                   LOGO_PERSON,
                                   LOGO_RATE_MOON_TRAIN,
                                   camera_effects,
                                   color_histogram_features,
                                   contact_sheet,
                                   make_background,
                                   make_dataset,
                                   make_image,
                                   make_shortcut_set,
)
from videocam.synth.video import SHOT_KINDS, make_samples, make_video, render_video_frames
from videocam.types import NOBODY

__all__ = ["CLASSES", "PEOPLE", "SPLITS", "NOBODY", "Look", "draw_person", "sample_look", "LOGO_PERSON",
           "LOGO_RATE_MOON_TRAIN", "camera_effects", "color_histogram_features", "contact_sheet",
           "make_background", "make_dataset", "make_image", "make_shortcut_set", "SHOT_KINDS", "make_samples",
           "make_video", "render_video_frames"]
