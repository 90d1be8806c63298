"""The synthetic "debate" benchmark: images, a TV-debate video and ground truth.

Five made-up debaters (``PEOPLE``) plus ``nobody``. Identity lives only in
local *shapes* drawn with OpenCV (hair style, glasses, facial hair, tie /
bow-tie / necklace / turtleneck, ears, collar), spread over head and torso.
Every colour (skin, hair, suit, shirt, tie, background) is drawn per image
from palettes shared by all people, so colour alone does not identify anyone
(see :func:`color_histogram_features` and the tests).

Sizes are ``(width, height)`` everywhere in this module, like OpenCV/PIL;
arrays are ``(height, width, 3)`` uint8 RGB.  Boxes are ``(x0, y0, x1, y1)``
in pixels, ``x1``/``y1`` exclusive, clipped to the image: the person's
visible extent from the top of the hair to the bottom of the drawn torso.

The train split carries a class-correlated shortcut, as in the original
study: a party-logo distractor in ~35% of ``moon``'s training images only
(:data:`LOGO_RATE_MOON_TRAIN`). val/test have no logos; :func:`make_shortcut_set`
builds the images that probe the shortcut.

No TensorFlow here; numpy + OpenCV (+ PyAV for the video).
"""
from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from videocam.types import NOBODY

PEOPLE: tuple[str, ...] = ("ahn", "hong", "moon", "sim", "you")
CLASSES: tuple[str, ...] = PEOPLE + (NOBODY,)
SPLITS: tuple[str, ...] = ("train", "val", "test")
LOGO_PERSON = "moon"  # whose party the logo belongs to
LOGO_RATE_MOON_TRAIN = 0.35
LOGO_TEXTS = ("PARTY", "UP!")

# (width, height) of dataset images and how often each is drawn: "224x224 and larger".
# (400, 224) is the video's 16:9, so a trainer that squashes frames to a square sees the same geometry.
IMAGE_SIZES: tuple[tuple[int, int], ...] = (
    (224, 224), (256, 256), (288, 224), (320, 240), (224, 288), (320, 224), (400, 224))
IMAGE_SIZE_P: tuple[float, ...] = (0.5, 0.08, 0.1, 0.1, 0.04, 0.08, 0.1)

BoxT = tuple[int, int, int, int]

# ---------------------------------------------------------------------------
# Shared palettes (RGB).  Every person draws from the same lists.
SKIN = np.array(
    [(255, 224, 196), (241, 194, 157), (224, 172, 130), (198, 140, 100), (160, 110, 75),
     (120, 80, 55), (250, 210, 180), (210, 160, 120)], dtype=np.float32)
HAIR = np.array(
    [(25, 20, 20), (60, 40, 30), (100, 70, 40), (150, 150, 150), (200, 200, 195),
     (170, 130, 80), (45, 45, 60), (120, 60, 30)], dtype=np.float32)
SUIT = np.array(
    [(30, 35, 60), (40, 40, 45), (90, 90, 95), (60, 45, 35), (25, 60, 45), (110, 30, 40),
     (150, 140, 120), (20, 20, 25), (70, 90, 130)], dtype=np.float32)
SHIRT = np.array(
    [(245, 245, 245), (210, 225, 245), (245, 215, 220), (220, 220, 215), (235, 235, 200),
     (200, 235, 215)], dtype=np.float32)
ACCENT = np.array(  # ties, bow-ties, turtlenecks, necklaces, earrings
    [(200, 30, 40), (30, 60, 170), (230, 190, 40), (40, 140, 70), (130, 40, 140), (230, 120, 30),
     (40, 40, 40), (235, 235, 235), (90, 170, 210), (200, 90, 130)], dtype=np.float32)
FRAME = np.array([(20, 20, 20), (90, 60, 30), (150, 150, 160), (140, 20, 20), (30, 30, 90)], dtype=np.float32)
LOGO_COLOR = (30, 90, 200)  # the party colour (jittered per image)


def _pick(rng: np.random.Generator, pal: np.ndarray, jitter: float = 12.0) -> tuple[float, float, float]:
    c = pal[rng.integers(len(pal))] + rng.normal(0.0, jitter, 3)
    return tuple(float(v) for v in np.clip(c, 0, 255))


def _shade(c, f: float) -> tuple[float, float, float]:
    return tuple(float(min(255.0, max(0.0, v * f))) for v in c)


def _rand_color(rng: np.random.Generator) -> tuple[float, float, float]:
    return tuple(float(v) for v in rng.integers(0, 256, 3))


# ---------------------------------------------------------------------------
# The person renderer


@dataclass
class Look:
    """Appearance of one person: identity is `label`, the rest is nuisance."""

    label: str
    skin: tuple
    hair: tuple
    suit: tuple
    shirt: tuple
    accent: tuple
    accent2: tuple
    frame: tuple
    hw: float  # head half width, in units of the person's height
    hh: float  # head half height
    sw: float  # shoulder half width
    st: float  # shoulder top
    mouth: int  # 0 line, 1 smile, 2 open
    flip: bool  # mirror the asymmetric cues (parting, pin)
    outline: float  # darkening of the outline strokes


def sample_look(rng: np.random.Generator, label: str) -> Look:
    j = rng.uniform(0.92, 1.08)
    return Look(
        label=label,
        skin=_pick(rng, SKIN, 8.0),
        hair=_pick(rng, HAIR),
        suit=_pick(rng, SUIT),
        shirt=_pick(rng, SHIRT, 6.0),
        accent=_pick(rng, ACCENT, 15.0),
        accent2=_pick(rng, ACCENT, 15.0),
        frame=_pick(rng, FRAME, 10.0),
        hw=0.150 * j * rng.uniform(0.95, 1.05),
        hh=0.200 * j * rng.uniform(0.95, 1.05),
        sw=0.40 * rng.uniform(0.9, 1.1),
        st=0.60 + rng.uniform(-0.02, 0.02),
        mouth=int(rng.integers(3)),
        flip=bool(rng.random() < 0.5),
        outline=float(rng.uniform(0.45, 0.7)),
    )


class _Pen:
    """Draws in person-relative units onto a colour layer and an alpha mask.

    (x, y) are in units of the person's full height `u`, origin at the
    horizontal centre / top of the person; rotation `rot` is about `pivot`,
    `off` shifts (head bob).
    """

    SHIFT = 4
    ONE = 1 << SHIFT

    def __init__(self, layer, mask, cx, top, u):
        self.layer, self.mask = layer, mask
        self.cx, self.top, self.u = cx, top, u
        self.rot, self.pivot, self.off = 0.0, (0.0, 0.58), (0.0, 0.0)
        self.aa = cv2.LINE_AA if u >= 40 else cv2.LINE_8

    def _p(self, x, y):
        x, y = x + self.off[0], y + self.off[1]
        if self.rot:
            px, py = self.pivot
            c, s = math.cos(self.rot), math.sin(self.rot)
            x, y = px + (x - px) * c - (y - py) * s, py + (x - px) * s + (y - py) * c
        return (int(round((self.cx + x * self.u) * self.ONE)), int(round((self.top + y * self.u) * self.ONE)))

    def _t(self, t):
        return max(1, int(round(t * self.u))) if t > 0 else -1

    def ellipse(self, x, y, ax, ay, color, t=0.0, angle=0.0, a0=0, a1=360, mask=True):
        c = self._p(x, y)
        axes = (max(1, int(round(ax * self.u * self.ONE))), max(1, int(round(ay * self.u * self.ONE))))
        ang = angle + math.degrees(self.rot)
        th = self._t(t)
        cv2.ellipse(self.layer, c, axes, ang, a0, a1, color, th, self.aa, self.SHIFT)
        if mask:
            cv2.ellipse(self.mask, c, axes, ang, a0, a1, 255, th, cv2.LINE_8, self.SHIFT)

    def circle(self, x, y, r, color, t=0.0, mask=True):
        self.ellipse(x, y, r, r, color, t, mask=mask)

    def poly(self, pts, color, mask=True):
        p = np.array([self._p(x, y) for x, y in pts], np.int32)
        cv2.fillPoly(self.layer, [p], color, self.aa, self.SHIFT)
        if mask:
            cv2.fillPoly(self.mask, [p], 255, cv2.LINE_8, self.SHIFT)

    def polyline(self, pts, color, t, closed=False, mask=True):
        p = np.array([self._p(x, y) for x, y in pts], np.int32)
        cv2.polylines(self.layer, [p], closed, color, self._t(t), self.aa, self.SHIFT)
        if mask:
            cv2.polylines(self.mask, [p], closed, 255, self._t(t), cv2.LINE_8, self.SHIFT)

    def line(self, x0, y0, x1, y1, color, t, mask=True):
        self.polyline([(x0, y0), (x1, y1)], color, t, mask=mask)

    def rect(self, x0, y0, x1, y1, color, mask=True):
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], color, mask=mask)


def _draw_torso(p: _Pen, lk: Look):
    st, sw = lk.st, lk.sw
    suit, dark = lk.suit, _shade(lk.suit, lk.outline)
    skin = lk.skin
    # neck
    p.rect(-0.062, st - 0.16, 0.062, st + 0.04, _shade(skin, 0.9))
    # jacket body with rounded shoulders
    body = [(-sw * 0.5, st - 0.01), (sw * 0.5, st - 0.01), (sw * 0.93, st + 0.06), (sw * 1.04, 1.0),
            (-sw * 1.04, 1.0), (-sw * 0.93, st + 0.06)]
    p.poly(body, suit)
    p.ellipse(sw * 0.78, st + 0.085, sw * 0.24, 0.09, suit)
    p.ellipse(-sw * 0.78, st + 0.085, sw * 0.24, 0.09, suit)
    p.rect(-sw * 1.02, st + 0.085, sw * 1.02, 1.0, suit)
    # arms seams
    p.line(-sw * 0.75, st + 0.16, -sw * 0.8, 1.0, dark, 0.008)
    p.line(sw * 0.75, st + 0.16, sw * 0.8, 1.0, dark, 0.008)
    lab = lk.label
    if lab == "you":
        # turtleneck under an open jacket: a ribbed tube over the neck
        p.poly([(-0.15, st), (0.15, st), (0.03, st + 0.42), (-0.03, st + 0.42)], lk.accent)
        p.rect(-0.075, st - 0.085, 0.075, st + 0.03, _shade(lk.accent, 0.92))
        for k in range(4):
            y = st - 0.07 + k * 0.028
            p.line(-0.07, y, 0.07, y, _shade(lk.accent, 0.65), 0.006)
        for k in range(-2, 3):
            p.line(k * 0.03, st + 0.03, k * 0.012, st + 0.35, _shade(lk.accent, 0.75), 0.005)
        p.polyline([(-0.15, st), (-0.03, st + 0.42)], dark, 0.012)
        p.polyline([(0.15, st), (0.03, st + 0.42)], dark, 0.012)
        return
    if lab == "sim":
        # open jacket, round-neck blouse and a pearl necklace with a pendant
        p.poly([(-0.17, st - 0.01), (0.17, st - 0.01), (0.05, st + 0.40), (-0.05, st + 0.40)], lk.shirt)
        p.ellipse(0, st - 0.005, 0.085, 0.06, _shade(skin, 0.9), a0=0, a1=180)
        n = 9
        for k in range(n):
            a = math.pi * (0.15 + 0.7 * k / (n - 1))
            p.circle(0.095 * math.cos(a), st + 0.01 + 0.10 * math.sin(a), 0.011, lk.accent2)
        p.poly([(0, st + 0.10), (0.025, st + 0.135), (0, st + 0.17), (-0.025, st + 0.135)], lk.accent2)
        p.polyline([(-0.17, st - 0.01), (-0.05, st + 0.40)], dark, 0.012)
        p.polyline([(0.17, st - 0.01), (0.05, st + 0.40)], dark, 0.012)
        return
    # shirt V with collar and lapels (ahn, hong, moon)
    vb = st + (0.20 if lab == "hong" else 0.30)
    p.poly([(-0.13, st - 0.01), (0.13, st - 0.01), (0, vb)], lk.shirt)
    sh = _shade(lk.shirt, 0.8)
    if lab == "hong":
        # wide spread collar, buttons, bow-tie
        p.poly([(-0.075, st - 0.04), (0.0, st + 0.015), (-0.14, st + 0.035)], lk.shirt)
        p.poly([(0.075, st - 0.04), (0.0, st + 0.015), (0.14, st + 0.035)], lk.shirt)
        p.polyline([(-0.075, st - 0.04), (0.0, st + 0.015), (-0.14, st + 0.035)], sh, 0.005, closed=True)
        p.polyline([(0.075, st - 0.04), (0.0, st + 0.015), (0.14, st + 0.035)], sh, 0.005, closed=True)
        for k in range(3):
            p.circle(0, st + 0.07 + 0.045 * k, 0.009, sh)
        bt = lk.accent
        p.poly([(0, st + 0.01), (-0.095, st - 0.035), (-0.095, st + 0.065)], bt)
        p.poly([(0, st + 0.01), (0.095, st - 0.035), (0.095, st + 0.065)], bt)
        p.ellipse(0, st + 0.01, 0.024, 0.03, _shade(bt, 0.7))
        p.line(-0.07, st - 0.01, -0.07, st + 0.035, _shade(bt, 0.6), 0.006)
        p.line(0.07, st - 0.01, 0.07, st + 0.035, _shade(bt, 0.6), 0.006)
    else:
        # pointed collar and a long tie
        p.poly([(-0.07, st - 0.04), (0.0, st + 0.02), (-0.06, st + 0.07)], lk.shirt)
        p.poly([(0.07, st - 0.04), (0.0, st + 0.02), (0.06, st + 0.07)], lk.shirt)
        p.polyline([(-0.07, st - 0.04), (0.0, st + 0.02), (-0.06, st + 0.07)], sh, 0.005)
        p.polyline([(0.07, st - 0.04), (0.0, st + 0.02), (0.06, st + 0.07)], sh, 0.005)
        tie = lk.accent
        p.poly([(-0.032, st + 0.005), (0.032, st + 0.005), (0.022, st + 0.05), (-0.022, st + 0.05)], _shade(tie, 0.85))
        bot = st + 0.36
        blade = [(-0.022, st + 0.05), (0.022, st + 0.05), (0.05, bot - 0.05), (0, bot), (-0.05, bot - 0.05)]
        p.poly(blade, tie)
        if lab == "ahn":  # diagonal stripes
            for k in range(7):
                y = st + 0.07 + k * 0.04
                w = 0.022 + (0.05 - 0.022) * min(1.0, (y - st - 0.05) / (bot - 0.05 - st - 0.05))
                p.line(-w * 0.95, y + 0.02, w * 0.95, y - 0.012, lk.accent2, 0.011)
        else:  # moon: polka dots
            for k in range(6):
                y = st + 0.08 + k * 0.042
                w = 0.022 + (0.05 - 0.022) * min(1.0, (y - st - 0.05) / (bot - 0.05 - st - 0.05))
                xs = (-w * 0.45, w * 0.45) if k % 2 == 0 else (0.0,)
                for x in xs:
                    p.circle(x, y, 0.0095, lk.accent2)
        p.polyline(blade, _shade(tie, 0.6), 0.004, closed=True)
    # lapels
    p.poly([(-0.13, st - 0.01), (-0.02, vb - 0.02), (-0.1, st + 0.16), (-0.2, st + 0.05)], _shade(suit, 1.15))
    p.poly([(0.13, st - 0.01), (0.02, vb - 0.02), (0.1, st + 0.16), (0.2, st + 0.05)], _shade(suit, 1.15))
    p.polyline([(-0.13, st - 0.01), (-0.02, vb - 0.02), (-0.1, st + 0.16), (-0.2, st + 0.05)], dark, 0.006)
    p.polyline([(0.13, st - 0.01), (0.02, vb - 0.02), (0.1, st + 0.16), (0.2, st + 0.05)], dark, 0.006)
    if lab == "moon":  # lapel pin
        s = -1 if lk.flip else 1
        p.circle(s * 0.15, st + 0.09, 0.016, (230, 200, 60))
        p.circle(s * 0.15, st + 0.09, 0.007, (180, 30, 30))


def _draw_head(p: _Pen, lk: Look):
    hw, hh = lk.hw, lk.hh
    hy = 0.07 + hh
    skin, hair = lk.skin, lk.hair
    hdark = _shade(hair, 0.7) if sum(hair) > 150 else _shade(hair, 1.6)
    sdark = _shade(skin, 0.72)
    lab = lk.label
    s = -1 if lk.flip else 1
    # back hair (long hair falls behind the shoulders)
    if lab == "sim":
        p.ellipse(0, hy - 0.01, hw * 1.35, hh * 1.12, hair)
        p.rect(-hw * 1.35, hy, hw * 1.35, lk.st + 0.10, hair)
        p.ellipse(-hw * 1.2, lk.st + 0.10, hw * 0.15, 0.03, hair)
        p.ellipse(hw * 1.2, lk.st + 0.10, hw * 0.15, 0.03, hair)
    # ears
    ea = (0.05, 0.075) if lab == "ahn" else (0.028, 0.05)
    for sx in (-1, 1):
        p.ellipse(sx * hw * 0.98, hy + 0.01, ea[0], ea[1], skin)
        p.ellipse(sx * hw * 1.0, hy + 0.01, ea[0] * 0.5, ea[1] * 0.6, sdark, t=0.006)
    # face
    p.ellipse(0, hy, hw, hh, skin)
    # hair styles
    if lab == "ahn":  # bald with side tufts and a shine
        for sx in (-1, 1):
            p.ellipse(sx * hw * 0.93, hy - 0.035, 0.035, 0.075, hair, angle=sx * 10)
        p.ellipse(-hw * 0.3, hy - hh * 0.75, hw * 0.28, hh * 0.1, _shade(skin, 1.15), angle=-15, mask=False)
    elif lab == "hong":  # flat-top: a square block of hair
        top = 0.035
        p.rect(-hw * 1.02, top, hw * 1.02, hy - hh * 0.45, hair)
        p.rect(-hw * 1.04, hy - hh * 0.5, -hw * 0.82, hy + hh * 0.05, hair)
        p.rect(hw * 0.82, hy - hh * 0.5, hw * 1.04, hy + hh * 0.05, hair)
        for k in range(1, 6):
            x = -hw + k * hw / 3
            p.line(x, top + 0.01, x, hy - hh * 0.5, hdark, 0.004)
    elif lab == "moon":  # side parting with a swoop over the forehead
        p.ellipse(0, hy - hh * 0.18, hw * 1.06, hh * 0.9, hair, a0=180, a1=360)
        p.rect(-hw * 1.06, hy - hh * 0.22, -hw * 0.86, hy + hh * 0.15, hair)
        p.rect(hw * 0.86, hy - hh * 0.22, hw * 1.06, hy + hh * 0.15, hair)
        px = -s * hw * 0.45
        p.poly([(px, hy - hh * 1.05), (s * hw * 1.0, hy - hh * 0.55), (s * hw * 0.95, hy - hh * 0.2),
                (s * hw * 0.2, hy - hh * 0.45), (px, hy - hh * 0.5)], hair)
        p.line(px, hy - hh * 1.0, px, hy - hh * 0.45, _shade(skin, 0.95), 0.011, mask=False)
        for k in range(3):
            p.line(px + s * hw * 0.15 * (k + 1), hy - hh * (0.95 - 0.06 * k), s * hw * 0.9, hy - hh * (0.55 - 0.1 * k),
                   hdark, 0.004)
    elif lab == "sim":  # long hair with a straight fringe
        p.ellipse(0, hy - hh * 0.25, hw * 1.05, hh * 0.82, hair, a0=180, a1=360)
        p.rect(-hw * 1.05, hy - hh * 0.28, hw * 1.05, hy - hh * 0.42, hair)
        p.rect(-hw * 1.08, hy - hh * 0.3, -hw * 0.8, hy + hh * 0.9, hair)
        p.rect(hw * 0.8, hy - hh * 0.3, hw * 1.08, hy + hh * 0.9, hair)
        for k in range(-3, 4):
            p.line(k * hw * 0.25, hy - hh * 0.95, k * hw * 0.27, hy - hh * 0.42, hdark, 0.004)
    elif lab == "you":  # spiky
        p.ellipse(0, hy - hh * 0.35, hw * 1.02, hh * 0.7, hair, a0=180, a1=360)
        n = 7
        for k in range(n):
            x = -hw * 0.95 + k * (1.9 * hw / (n - 1))
            h = hh * (0.45 + 0.15 * (1 - abs(k - 3) / 3))
            p.poly([(x - hw * 0.17, hy - hh * 0.6 - 0.02 * (1 - abs(k - 3) / 3)), (x + hw * 0.17, hy - hh * 0.6),
                    (x + hw * 0.05 * (k - 3), hy - hh * 0.6 - h)], hair)
        p.rect(-hw * 1.02, hy - hh * 0.4, -hw * 0.86, hy, hair)
        p.rect(hw * 0.86, hy - hh * 0.4, hw * 1.02, hy, hair)
    # eyebrows
    ey = hy - hh * 0.05
    if lab == "hong":
        for sx in (-1, 1):
            p.rect(sx * hw * 0.18, ey - hh * 0.3, sx * hw * 0.72, ey - hh * 0.17, hair)
    else:
        bt = 0.007
        for sx in (-1, 1):
            p.polyline([(sx * hw * 0.2, ey - hh * 0.2), (sx * hw * 0.45, ey - hh * 0.28), (sx * hw * 0.68, ey - hh * 0.2)],
                       hdark if lab != "ahn" else hair, bt)
    # eyes
    for sx in (-1, 1):
        p.ellipse(sx * hw * 0.44, ey, hw * 0.16, hh * 0.07, (245, 245, 245))
        p.circle(sx * hw * 0.44, ey, hh * 0.055, (35, 30, 30))
    # glasses
    fr = lk.frame
    if lab == "ahn":
        for sx in (-1, 1):
            p.circle(sx * hw * 0.44, ey, hw * 0.33, fr, t=0.009)
        p.line(-hw * 0.12, ey, hw * 0.12, ey, fr, 0.008)
        p.line(-hw * 0.77, ey, -hw * 0.98, ey - 0.01, fr, 0.007)
        p.line(hw * 0.77, ey, hw * 0.98, ey - 0.01, fr, 0.007)
    elif lab == "you":
        for sx in (-1, 1):
            x0, x1 = sorted((sx * hw * 0.1, sx * hw * 0.82))
            p.polyline([(x0, ey - hh * 0.2), (x1, ey - hh * 0.2), (x1, ey + hh * 0.18), (x0, ey + hh * 0.18)], fr,
                       0.011, closed=True)
        p.line(-hw * 0.1, ey - hh * 0.1, hw * 0.1, ey - hh * 0.1, fr, 0.009)
    # nose
    p.polyline([(0, ey + hh * 0.05), (-hw * 0.12, ey + hh * 0.38), (hw * 0.05, ey + hh * 0.42)], sdark, 0.006)
    # mouth
    my = hy + hh * 0.6
    mc = (150, 60, 60)
    if lab == "moon":  # broad toothy grin
        p.ellipse(0, my - hh * 0.04, hw * 0.42, hh * 0.17, (120, 40, 40), a0=0, a1=180)
        p.rect(-hw * 0.38, my - hh * 0.04, hw * 0.38, my + hh * 0.03, (250, 250, 250))
    elif lk.mouth == 0:
        p.line(-hw * 0.25, my, hw * 0.25, my, mc, 0.007)
    elif lk.mouth == 1:
        p.ellipse(0, my - hh * 0.06, hw * 0.26, hh * 0.09, mc, t=0.007, a0=20, a1=160)
    else:
        p.ellipse(0, my, hw * 0.17, hh * 0.08, (110, 40, 40))
    # facial hair
    if lab == "hong":  # bushy moustache
        p.poly([(-hw * 0.45, my - hh * 0.02), (-hw * 0.05, my - hh * 0.22), (hw * 0.05, my - hh * 0.22),
                (hw * 0.45, my - hh * 0.02), (0, my - hh * 0.1)], hair)
    elif lab == "you":  # goatee
        p.poly([(-hw * 0.22, my + hh * 0.12), (hw * 0.22, my + hh * 0.12), (hw * 0.12, hy + hh * 1.0),
                (-hw * 0.12, hy + hh * 1.0)], hair)
    elif lab == "sim":  # earrings
        for sx in (-1, 1):
            p.circle(sx * hw * 0.99, hy + 0.065, 0.014, lk.accent)


def draw_person(canvas: np.ndarray, look: Look, cx: float, top: float, height: float, *,
                rot_deg: float = 0.0, head_off: tuple[float, float] = (0.0, 0.0), head_tilt_deg: float = 0.0) -> BoxT | None:
    """Composite one person onto `canvas` (in place) and return its box.

    `cx`, `top` are the person's horizontal centre and top of the head, in
    pixels; `height` is the person's full height (head top to torso bottom)
    before clipping. `head_off` is in units of `height`. Returns None if the
    person ends up outside the canvas.
    """
    H, W = canvas.shape[:2]
    # Work on a padded sub-window so drawing cost does not scale with the canvas.
    x0 = int(math.floor(cx - 0.75 * height)); x1 = int(math.ceil(cx + 0.75 * height))
    y0 = int(math.floor(top - 0.2 * height)); y1 = int(math.ceil(top + 1.2 * height))
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if cx0 >= cx1 or cy0 >= cy1:
        return None
    layer = np.zeros((cy1 - cy0, cx1 - cx0, 3), np.uint8)
    mask = np.zeros((cy1 - cy0, cx1 - cx0), np.uint8)
    p = _Pen(layer, mask, cx - cx0, top - cy0, height)
    rot = math.radians(rot_deg)
    p.rot = rot
    _draw_torso(p, look)
    p.off = head_off
    p.pivot = (0.0, look.st - 0.05)
    p.rot = rot + math.radians(head_tilt_deg)
    _draw_head(p, look)
    ys, xs = np.nonzero(mask >= 128)
    if len(ys) == 0:
        return None
    a = (mask.astype(np.float32) * (1.0 / 255.0))[..., None]
    sub = canvas[cy0:cy1, cx0:cx1]
    sub[:] = (sub.astype(np.float32) * (1.0 - a) + layer.astype(np.float32) * a + 0.5).astype(np.uint8)
    return (int(xs.min()) + cx0, int(ys.min()) + cy0, int(xs.max()) + 1 + cx0, int(ys.max()) + 1 + cy0)


# ---------------------------------------------------------------------------
# Backgrounds, logo, camera effects


def make_background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A cluttered, text-free studio/office background, (H, W, 3) uint8 RGB."""
    W, H = size
    c1 = np.array(_rand_color(rng), np.float32)
    c2 = np.array(_rand_color(rng), np.float32)
    ang = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    t = (xx / W - 0.5) * math.cos(ang) + (yy / H - 0.5) * math.sin(ang)
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    img = (c1 * (1 - t[..., None]) + c2 * t[..., None]).astype(np.uint8)
    img = np.ascontiguousarray(img)
    S = min(W, H)
    # panels, screens, shelves
    for _ in range(int(rng.integers(2, 7))):
        w, h = int(rng.uniform(0.1, 0.6) * W), int(rng.uniform(0.08, 0.5) * H)
        x, y = int(rng.uniform(-0.1, 1.0) * W), int(rng.uniform(-0.1, 1.0) * H)
        col = _rand_color(rng)
        cv2.rectangle(img, (x, y), (x + w, y + h), col, -1)
        kind = rng.random()
        if kind < 0.3:  # screen: bezel + inner stripes
            b = max(2, int(0.04 * min(w, h)))
            cv2.rectangle(img, (x + b, y + b), (x + w - b, y + h - b), _rand_color(rng), -1)
            for _k in range(int(rng.integers(0, 4))):
                yy0 = int(rng.uniform(y + b, y + h - b))
                cv2.line(img, (x + b, yy0), (x + w - b, yy0), _rand_color(rng), max(1, int(0.01 * S)))
        elif kind < 0.55:  # shelf with blocks on it
            sy = y + h // 2
            cv2.rectangle(img, (x, sy), (x + w, sy + max(2, int(0.02 * S))), _shade(col, 0.5), -1)
            bx = x
            while bx < x + w:
                bw = max(2, int(rng.uniform(0.01, 0.04) * S))
                bh = int(rng.uniform(0.03, 0.12) * S)
                cv2.rectangle(img, (bx, sy - bh), (bx + bw, sy), _rand_color(rng), -1)
                bx += bw + int(rng.integers(0, 3))
        elif kind < 0.7:  # grid / window panes
            n = int(rng.integers(2, 5))
            for k in range(1, n):
                cv2.line(img, (x + k * w // n, y), (x + k * w // n, y + h), _shade(col, 0.6), max(1, int(0.008 * S)))
                cv2.line(img, (x, y + k * h // n), (x + w, y + k * h // n), _shade(col, 0.6), max(1, int(0.008 * S)))
    # lines (rails, cables, set edges)
    for _ in range(int(rng.integers(0, 6))):
        p0 = (int(rng.uniform(0, W)), int(rng.uniform(0, H)))
        p1 = (int(rng.uniform(0, W)), int(rng.uniform(0, H)))
        cv2.line(img, p0, p1, _rand_color(rng), int(rng.integers(1, max(2, S // 40))), cv2.LINE_AA)
    # studio lights: small bright discs (kept small: no head-like blobs)
    for _ in range(int(rng.integers(0, 6))):
        r = int(rng.uniform(0.01, 0.035) * S) + 1
        c = (int(rng.uniform(0, W)), int(rng.uniform(0, 0.5 * H)))
        col = tuple(float(v) for v in rng.uniform(180, 255, 3))
        cv2.circle(img, c, r, col, -1, cv2.LINE_AA)
    # desk / floor band
    if rng.random() < 0.4:
        y = int(rng.uniform(0.65, 0.9) * H)
        inset = int(rng.uniform(0, 0.2) * W)
        cv2.fillPoly(img, [np.array([(inset, y), (W - inset, y), (W, H), (0, H)], np.int32)], _rand_color(rng))
    if rng.random() < 0.6:
        k = float(rng.uniform(0.5, 2.5))
        img = cv2.GaussianBlur(img, (0, 0), k)
    return img


def _logo_patch(rng: np.random.Generator, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The party logo: a coloured rounded rectangle with bold white text."""
    text = LOGO_TEXTS[int(rng.integers(len(LOGO_TEXTS)))]
    aspect = 2.3 if len(text) > 3 else 1.6
    w = max(16, int(width))
    h = max(8, int(round(w / aspect)))
    col = tuple(float(v) for v in np.clip(np.array(LOGO_COLOR) + rng.normal(0, 10, 3), 0, 255))
    patch = np.zeros((h, w, 3), np.uint8)
    mask = np.zeros((h, w), np.uint8)
    r = max(2, h // 4)
    for im, c in ((patch, col), (mask, 255)):
        cv2.rectangle(im, (r, 0), (w - 1 - r, h - 1), c, -1)
        cv2.rectangle(im, (0, r), (w - 1, h - 1 - r), c, -1)
        for cc in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
            cv2.circle(im, cc, r, c, -1, cv2.LINE_AA)
    font = cv2.FONT_HERSHEY_DUPLEX
    thick = max(1, h // 10)
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, thick)
    scale = min(0.8 * w / tw, 0.6 * h / th)
    thick = max(1, int(round(thick * min(1.0, scale))))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    org = ((w - tw) // 2, (h + th) // 2)
    cv2.putText(patch, text, org, font, scale, (255, 255, 255), thick, cv2.LINE_AA)
    if rng.random() < 0.5:  # an underline swoosh in a second colour
        cv2.line(patch, (int(0.15 * w), int(0.88 * h)), (int(0.85 * w), int(0.82 * h)), (240, 200, 40), max(1, h // 12))
    return patch, mask


def _paste(canvas: np.ndarray, patch: np.ndarray, mask: np.ndarray, x: int, y: int) -> BoxT | None:
    H, W = canvas.shape[:2]
    h, w = mask.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return None
    a = (mask[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32) / 255.0)[..., None]
    sub = canvas[y0:y1, x0:x1]
    sub[:] = (sub * (1 - a) + patch[y0 - y:y1 - y, x0 - x:x1 - x] * a + 0.5).astype(np.uint8)
    return (x0, y0, x1, y1)


def _overlap(a: BoxT, b: BoxT, pad: int = 0) -> bool:
    return not (a[2] + pad <= b[0] or b[2] + pad <= a[0] or a[3] + pad <= b[1] or b[3] + pad <= a[1])


def _place_logo(rng: np.random.Generator, img: np.ndarray, person: BoxT | None) -> BoxT | None:
    """Paint the logo in the background beside (never on) the person; returns its box."""
    H, W = img.shape[:2]
    ref = (person[3] - person[1]) if person else H * rng.uniform(0.3, 0.8)
    min_w = max(24, int(0.16 * min(W, H)))
    for attempt in range(30):
        width = int(np.clip(ref * rng.uniform(0.3, 0.55) * (0.95 ** attempt), min_w, 0.45 * W))
        patch, mask = _logo_patch(rng, width)
        h, w = mask.shape
        if w >= W or h >= H:
            continue
        if person is None:
            x, y = int(rng.integers(0, W - w + 1)), int(rng.integers(0, H - h + 1))
        else:
            px0, py0, px1, py1 = person
            gap = max(2, int(rng.uniform(0.02, 0.1) * ref))
            cands = []  # (x range, y range) where the logo fits without touching the person
            ylo, yhi = max(0, py0), min(H - h, max(py0, py1 - h))
            if yhi < ylo:
                ylo, yhi = 0, H - h
            if px0 - gap - w >= 0:
                cands.append(((max(0, px0 - gap - w - int(0.1 * W)), px0 - gap - w), (ylo, yhi)))
            if px1 + gap + w <= W:
                cands.append(((px1 + gap, min(W - w, px1 + gap + int(0.1 * W))), (ylo, yhi)))
            if py0 - gap - h >= 0:
                cands.append(((0, W - w), (0, py0 - gap - h)))
            if not cands:
                continue
            (xa, xb), (ya, yb) = cands[int(rng.integers(len(cands)))]
            x, y = int(rng.integers(xa, xb + 1)), int(rng.integers(ya, yb + 1))
        box = (x, y, x + w, y + h)
        if person is not None and _overlap(box, person, 1):
            continue
        return _paste(img, patch, mask, x, y)
    return None


def camera_effects(rng: np.random.Generator, img: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Random lighting (brightness, contrast, colour cast, gamma), blur, noise, JPEG."""
    f = img.astype(np.float32)
    gain = rng.uniform(1 - 0.15 * strength, 1 + 0.15 * strength, 3).astype(np.float32)
    contrast = rng.uniform(1 - 0.3 * strength, 1 + 0.25 * strength)
    bright = rng.uniform(-30, 30) * strength
    m = f.mean()
    f = (f - m) * contrast + m + bright
    f *= gain
    gamma = rng.uniform(0.8, 1.25) if strength > 0 else 1.0
    f = 255.0 * np.power(np.clip(f, 0, 255) / 255.0, gamma)
    if rng.random() < 0.35 * strength:
        f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.5, 1.4))
    sigma = rng.uniform(0, 8) * strength
    if sigma > 0.5:
        f += rng.standard_normal(f.shape, dtype=np.float32) * sigma
    out = np.clip(f + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.5 * strength:
        q = int(rng.integers(35, 90))
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
        out = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return out


# ---------------------------------------------------------------------------
# Images


def _render(rng: np.random.Generator, label: str, size=(224, 224), logo: bool = False,
            effects: bool = True) -> tuple[np.ndarray, BoxT | None, BoxT | None]:
    W, H = size
    img = make_background(rng, (W, H))
    box = None
    if label != NOBODY:
        if label not in PEOPLE:
            raise ValueError(f"unknown label {label!r}; expected one of {CLASSES}")
        look = sample_look(rng, label)
        # full height: log-uniform so the visible box spans ~25%..100% of H
        for _ in range(40 if logo else 10):
            hp = H * math.exp(rng.uniform(math.log(0.27), math.log(1.25)))
            top_lo = 0.0 - 0.02 * hp
            top_hi = max(top_lo, H - 0.68 * hp)  # may cut up to ~1/3 at the bottom
            top = rng.uniform(top_lo, top_hi)
            wp = 0.85 * hp
            out_frac = 0.25 if rng.random() < 0.25 else 0.0  # sometimes partly out at a side
            lo, hi = wp * (0.5 - out_frac), W - wp * (0.5 - out_frac)
            cx = rng.uniform(lo, hi) if hi > lo else W / 2 + rng.uniform(-0.1, 0.1) * W
            probe = _probe_box(look, cx, top, hp, (W, H))
            ok = probe is not None and (probe[3] - probe[1]) >= 0.22 * H and (probe[2] - probe[0]) >= 0.12 * W
            if ok and logo:  # leave room beside the person for the logo
                ok = max(probe[0], W - probe[2]) >= 0.2 * W or probe[1] >= 0.2 * H
            if ok:
                break
        box = draw_person(img, look, cx, top, hp, rot_deg=rng.normal(0, 3),
                          head_off=(rng.normal(0, 0.01), rng.normal(0, 0.005)), head_tilt_deg=rng.normal(0, 4))
    logo_box = None
    if logo:
        # the logo goes in the background: re-render background+logo under the person
        # painted after the person, but never overlapping its box: it is background
        logo_box = _place_logo(rng, img, box)
    if effects:
        img = camera_effects(rng, img)
    return img, box, logo_box


def _probe_box(look: Look, cx: float, top: float, hp: float, size) -> BoxT | None:
    W, H = size
    scratch = np.zeros((H, W, 3), np.uint8)
    return draw_person(scratch, look, cx, top, hp)


def make_image(rng: np.random.Generator, label: str, size: tuple[int, int] = (224, 224),
               logo: bool = False) -> tuple[np.ndarray, BoxT | None]:
    """One RGB uint8 image of `label` and its box.

    `size` is ``(width, height)``; the array is ``(height, width, 3)``. The box
    is ``(x0, y0, x1, y1)`` (exclusive ends, clipped), None for ``nobody``.
    `logo=True` also paints the party-logo distractor in the background.
    """
    img, box, _ = _render(rng, label, size, logo)
    return img, box


def color_histogram_features(images: Iterable[np.ndarray], bins: int = 8) -> np.ndarray:
    """(N, bins**3) normalised RGB colour histograms, one row per image."""
    feats = []
    for im in images:
        q = (np.asarray(im, np.uint8) // (256 // bins)).astype(np.int32).reshape(-1, 3)
        idx = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
        h = np.bincount(idx, minlength=bins ** 3).astype(np.float64)
        feats.append(h / max(1.0, h.sum()))
    return np.stack(feats) if feats else np.zeros((0, bins ** 3))


# ---------------------------------------------------------------------------
# Dataset on disk


def _image_rng(seed: int, split: str, cls: str, i: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), SPLITS.index(split), CLASSES.index(cls), int(i)])


def _dataset_task(args) -> tuple[str, str, BoxT | None, BoxT | None]:
    out_dir, seed, split, cls, i = args
    rng = _image_rng(seed, split, cls, i)
    size = IMAGE_SIZES[int(rng.choice(len(IMAGE_SIZES), p=IMAGE_SIZE_P))]
    logo = split == "train" and cls == LOGO_PERSON and rng.random() < LOGO_RATE_MOON_TRAIN
    img, box, logo_box = _render(rng, cls, size, logo)
    rel = f"{split}/{cls}/{cls}_{i:04d}.png"
    _write_png(Path(out_dir) / rel, img)
    return rel, cls, box, logo_box


def _write_png(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = cv2.imwrite(str(path), np.ascontiguousarray(img[..., ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise OSError(f"could not write {path}")


def _worker_init():
    cv2.setNumThreads(1)


def _run_tasks(fn, tasks: list, workers: int | None, progress: bool, desc: str) -> list:
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(tasks), desc=desc, unit="img")
    results = []
    try:
        if workers <= 1 or len(tasks) < 64:
            for t in tasks:
                results.append(fn(t))
                if bar is not None:
                    bar.update(1)
        else:
            import multiprocessing as mp
            # spawn, not fork: forking a process with threads (OpenCV, PyAV, TensorFlow) can
            # deadlock. A script calling this needs an `if __name__ == "__main__":` guard.
            ctx = mp.get_context("spawn")
            with ctx.Pool(workers, initializer=_worker_init) as pool:
                for r in pool.imap(fn, tasks, chunksize=16):
                    results.append(r)
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return results


def make_dataset(out_dir, seed: int = 0, n_train: int = 500, n_val: int = 80, n_test: int = 100,
                 progress: bool = True, workers: int | None = None) -> dict:
    """Write ``out_dir/{train,val,test}/<class>/<class>_<i>.png`` and ``test_boxes.csv``.

    Also ``train_logos.csv`` (``path,logo_x0,logo_y0,logo_x1,logo_y1``): the
    training images that carry the logo shortcut (moon only).

    Counts are per class. Deterministic per `seed` (each image has its own RNG
    stream, so changing a count does not change the other images). Returns a
    summary dict.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"train": int(n_train), "val": int(n_val), "test": int(n_test)}
    tasks = [(str(out), int(seed), split, cls, i) for split in SPLITS for cls in CLASSES for i in range(counts[split])]
    results = _run_tasks(_dataset_task, tasks, workers, progress, "synth images")
    csv_path = out / "test_boxes.csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "x0", "y0", "x1", "y1"])
        for rel, cls, box, _ in results:
            if rel.startswith("test/"):
                w.writerow([rel, cls, *(box if box is not None else ("", "", "", ""))])
    logos = [(rel, lb) for rel, _, _, lb in results if lb is not None]
    with open(out / "train_logos.csv", "w", newline="") as f:  # which training images carry the shortcut
        w = csv.writer(f)
        w.writerow(["path", "logo_x0", "logo_y0", "logo_x1", "logo_y1"])
        for rel, lb in logos:
            w.writerow([rel, *lb])
    return {
        "out_dir": str(out),
        "classes": list(CLASSES),
        "counts": counts,
        "n_images": len(results),
        "test_boxes_csv": str(csv_path),
        "seed": int(seed),
        "logo_class": LOGO_PERSON,
        "logo_rate": LOGO_RATE_MOON_TRAIN,
        "n_train_logos": len(logos),
    }


def _shortcut_task(args):
    out_dir, seed, i, label = args
    rng = np.random.default_rng([int(seed), 7, CLASSES.index(label), int(i)])
    img, box, logo_box = _render(rng, label, (224, 224), logo=True)
    rel = f"shortcut/{label}_logo_{i:04d}.png"
    _write_png(Path(out_dir) / rel, img)
    return rel, label, logo_box, box


def make_shortcut_set(out_dir, seed: int = 0, n: int = 40, progress: bool = False) -> Path:
    """Images that probe the logo shortcut, under ``out_dir/shortcut/``.

    Half show the logo and nobody, half the logo beside a person other than
    moon. Writes ``out_dir/shortcut_boxes.csv`` with header
    ``path,label,logo_x0,logo_y0,logo_x1,logo_y1,x0,y0,x1,y1`` (person box
    empty for nobody) and returns its path.
    """
    out = Path(out_dir)
    others = [p for p in PEOPLE if p != LOGO_PERSON]
    tasks = []
    for i in range(int(n)):
        label = NOBODY if i % 2 == 0 else others[(i // 2) % len(others)]
        tasks.append((str(out), int(seed), i, label))
    results = _run_tasks(_shortcut_task, tasks, 1, progress, "shortcut images")
    csv_path = out / "shortcut_boxes.csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "logo_x0", "logo_y0", "logo_x1", "logo_y1", "x0", "y0", "x1", "y1"])
        for rel, label, logo_box, box in results:
            w.writerow([rel, label, *(logo_box or ("",) * 4), *(box or ("",) * 4)])
    return csv_path


# ---------------------------------------------------------------------------
# The debate video


@dataclass
class _Actor:
    label: str
    cx: float  # in frame pixels at t=0
    top: float
    height: float
    bob_amp: float
    bob_freq: float
    bob_phase: float
    tilt_amp: float


@dataclass
class _Shot:
    kind: str
    n_frames: int
    camera: int
    actors: list
    zoom: float  # relative zoom per second
    pan: tuple  # pixels per second


SHOT_KINDS = ("close", "medium", "two", "wide", "empty")
SHOT_P = (0.28, 0.26, 0.20, 0.06, 0.20)


def _plan_shots(rng: np.random.Generator, n_frames: int, fps: int, size, n_cameras: int) -> list[_Shot]:
    W, H = size
    shots: list[_Shot] = []
    total = 0
    order = list(rng.permutation(PEOPLE))
    k_person = 0

    def next_person(exclude=()):
        nonlocal k_person, order
        for _ in range(20):
            if k_person >= len(order):
                order = list(rng.permutation(PEOPLE))
                k_person = 0
            p = order[k_person]
            k_person += 1
            if p not in exclude:
                return p
        return next(q for q in PEOPLE if q not in exclude)

    def actor(label, cx, top, height):
        return _Actor(label, cx, top, height, bob_amp=rng.uniform(0.002, 0.008), bob_freq=rng.uniform(0.4, 1.4),
                      bob_phase=rng.uniform(0, 2 * math.pi), tilt_amp=rng.uniform(0.5, 3.0))

    while total < n_frames:
        nf = int(round(rng.uniform(1.5, 3.5) * fps))
        nf = min(nf, n_frames - total)
        if n_frames - total - nf < int(1.0 * fps):  # no tiny last shot
            nf = n_frames - total
        kind = SHOT_KINDS[int(rng.choice(len(SHOT_KINDS), p=SHOT_P))]
        if shots and kind == shots[-1].kind == "empty":
            kind = "close"
        actors = []
        if kind == "close":
            hp = H * rng.uniform(1.15, 1.45)
            actors.append(actor(next_person(), W / 2 + rng.uniform(-0.15, 0.15) * W, H * rng.uniform(0.0, 0.06), hp))
        elif kind == "medium":
            hp = H * rng.uniform(0.7, 0.95)
            actors.append(actor(next_person(), W * rng.uniform(0.3, 0.7), H - 0.92 * hp + rng.uniform(0, 0.05) * H, hp))
        elif kind == "two":
            a = next_person()
            b = next_person(exclude=(a,))
            big = H * rng.uniform(0.7, 0.9)
            small = big / rng.uniform(1.15, 1.35)
            near_left = rng.random() < 0.5
            hs = (big, small) if near_left else (small, big)
            xs = (W * rng.uniform(0.25, 0.33), W * rng.uniform(0.67, 0.75))
            for lab, x, hp in zip((a, b), xs, hs):
                actors.append(actor(lab, x, H - 0.95 * hp + rng.uniform(0, 0.03) * H, hp))
        elif kind == "wide":
            n = int(rng.integers(3, 5))
            labs = []
            for _ in range(n):
                labs.append(next_person(exclude=tuple(labs)))
            base = H * rng.uniform(0.3, 0.4)
            desk_y = H * rng.uniform(0.78, 0.86)
            near = int(rng.integers(n))
            for j, lab in enumerate(labs):
                hp = base * (1.2 if j == near else rng.uniform(0.9, 1.0))
                x = W * (j + 0.5) / n + rng.uniform(-0.03, 0.03) * W
                actors.append(actor(lab, x, desk_y - hp, hp))
        zoom = rng.uniform(-0.02, 0.04) if kind != "empty" else rng.uniform(0.0, 0.03)
        pan = (rng.uniform(-0.02, 0.02) * W, rng.uniform(-0.01, 0.01) * H)
        shots.append(_Shot(kind, nf, int(rng.integers(n_cameras)), actors, zoom, pan))
        total += nf
    return shots


def _plan_ok(shots: list[_Shot], n_frames: int) -> bool:
    seen = {a.label for s in shots for a in s.actors}
    empty = sum(s.n_frames for s in shots if s.kind == "empty")
    multi = sum(s.n_frames for s in shots if len(s.actors) >= 2)
    lead = {max(s.actors, key=lambda a: a.height).label for s in shots if s.actors}
    need_all = n_frames >= 10 * 25  # short test clips need not show everyone
    return ((not need_all or (seen >= set(PEOPLE) and lead >= set(PEOPLE)))
            and 0.15 * n_frames <= empty <= 0.3 * n_frames and 0.20 * n_frames <= multi <= 0.45 * n_frames)


def _studio_background(rng: np.random.Generator, size) -> np.ndarray:
    W, H = size
    bg = make_background(rng, (W, H))
    # a studio feel: a darker floor band and a back-wall stripe, no text
    cv2.rectangle(bg, (0, int(0.82 * H)), (W, H), _shade(_rand_color(rng), 0.5), -1)
    return bg


def render_video_frames(seed: int = 0, duration_s: float = 24.0, fps: int = 25, size=(640, 360)):
    """Yield ``(rgb, label, boxes)`` for each frame of the debate video.

    `boxes` is a list of ``(label, (x0, y0, x1, y1))`` clipped to the frame.
    """
    W, H = size
    n_frames = int(round(duration_s * fps))
    rng = np.random.default_rng([int(seed), 99])
    n_cameras = 3
    for _ in range(200):
        shots = _plan_shots(rng, n_frames, fps, size, n_cameras)
        if _plan_ok(shots, n_frames):
            break
    margin = 1.25
    BW, BH = int(W * margin), int(H * margin)
    backgrounds = [_studio_background(rng, (BW, BH)) for _ in range(n_cameras)]
    looks = {p: sample_look(rng, p) for p in PEOPLE}
    grades = [(rng.uniform(0.92, 1.08, 3).astype(np.float32), rng.uniform(-12, 12)) for _ in range(n_cameras)]
    noise_rng = np.random.default_rng([int(seed), 100])
    for shot in shots:
        bg = backgrounds[shot.camera]
        ox0, oy0 = rng.uniform(0, BW - W), rng.uniform(0, BH - H)
        for k in range(shot.n_frames):
            t = k / fps
            z = 1.0 + shot.zoom * t
            # camera: frame pixel (u,v) <- scene point ((u - W/2)/z + W/2 + pan, ...)
            px, py = shot.pan[0] * t, shot.pan[1] * t
            # background crop of the oversized plate, zoomed about the centre
            ax, ay = ox0 + W / 2 + px, oy0 + H / 2 + py
            M = np.array([[z, 0, W / 2 - z * ax], [0, z, H / 2 - z * ay]], np.float32)
            frame = cv2.warpAffine(bg, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            boxes = []
            for a in sorted(shot.actors, key=lambda a: a.height):  # the nearest is drawn last
                bob = a.bob_amp * math.sin(2 * math.pi * a.bob_freq * t + a.bob_phase)
                cx = (a.cx - W / 2 - px) * z + W / 2
                top = (a.top - H / 2 - py) * z + H / 2
                tilt = a.tilt_amp * math.sin(2 * math.pi * a.bob_freq * 0.7 * t + a.bob_phase)
                box = draw_person(frame, looks[a.label], cx, top, a.height * z, rot_deg=0.3 * tilt,
                                  head_off=(bob * 0.5, bob), head_tilt_deg=tilt)
                if box is not None:
                    boxes.append((a.label, box))
            if shot.kind == "wide":  # the desk in front of the panel
                dy = int(((max(a.top + a.height for a in shot.actors) - H / 2 - py) * z + H / 2))
                cv2.rectangle(frame, (0, dy), (W, H), (90, 60, 40), -1)
                cv2.rectangle(frame, (0, dy), (W, dy + max(2, H // 60)), (140, 100, 70), -1)
                boxes = [(lab, (b[0], b[1], b[2], min(b[3], dy))) for lab, b in boxes if min(b[3], dy) > b[1]]
            gain, off = grades[shot.camera]
            f = frame.astype(np.float32) * gain + off
            f += noise_rng.standard_normal(f.shape, dtype=np.float32) * 2.5
            frame = np.clip(f + 0.5, 0, 255).astype(np.uint8)
            if boxes:
                label = max(boxes, key=lambda lb: (lb[1][2] - lb[1][0]) * (lb[1][3] - lb[1][1]))[0]
            else:
                label = NOBODY
            yield frame, label, boxes


def make_video(mp4_path, truth_csv_path, seed: int = 0, duration_s: float = 24.0, fps: int = 25,
               size: tuple[int, int] = (640, 360), progress: bool = True) -> int:
    """Write a TV-debate-like H.264 MP4 and its per-frame ground truth CSV.

    CSV header: ``frame,time_s,label,boxes``; `boxes` is a JSON list of
    ``{"label", "score", "x0", "y0", "x1", "y1"}`` (``[]`` for nobody). Frame
    ``i`` has pts ``i`` in time base ``1/fps``. Returns the frame count.
    """
    import av

    W, H = int(size[0]), int(size[1])
    if W % 2 or H % 2:
        raise ValueError("yuv420p needs an even width and height")
    mp4_path, truth_csv_path = Path(mp4_path), Path(truth_csv_path)
    mp4_path.parent.mkdir(parents=True, exist_ok=True)
    truth_csv_path.parent.mkdir(parents=True, exist_ok=True)
    n_frames = int(round(duration_s * fps))
    tb = Fraction(1, int(fps))
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n_frames, desc="synth video", unit="frame")
    n = 0
    with av.open(str(mp4_path), mode="w") as container, open(truth_csv_path, "w", newline="") as fcsv:
        stream = container.add_stream("libx264", rate=int(fps))
        stream.width, stream.height = W, H
        stream.pix_fmt = "yuv420p"
        stream.time_base = tb
        stream.codec_context.time_base = tb
        stream.options = {"crf": "20", "preset": "veryfast"}
        w = csv.writer(fcsv)
        w.writerow(["frame", "time_s", "label", "boxes"])
        for i, (rgb, label, boxes) in enumerate(render_video_frames(seed, duration_s, fps, (W, H))):
            vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            vf.pts = i
            vf.time_base = tb
            for packet in stream.encode(vf):
                container.mux(packet)
            js = json.dumps([{"label": lab, "score": 1.0, "x0": b[0], "y0": b[1], "x1": b[2], "y1": b[3]}
                             for lab, b in boxes])
            w.writerow([i, f"{round(i / fps, 4)}", label, js])
            n += 1
            if bar is not None:
                bar.update(1)
        for packet in stream.encode():
            container.mux(packet)
    if bar is not None:
        bar.close()
    return n


def make_samples(out_dir, seed: int = 0, progress: bool = True, **counts) -> dict:
    """`make_dataset` + the debate video: what ``videocam samples`` calls.

    `counts` may hold n_train/n_val/n_test/workers (for make_dataset) and
    duration_s/fps/size (for make_video).
    """
    out = Path(out_dir)
    vid_keys = {"duration_s", "fps", "size"}
    vid_kw = {k: counts.pop(k) for k in list(counts) if k in vid_keys}
    info = make_dataset(out, seed=seed, progress=progress, **counts)
    n = make_video(out / "debate.mp4", out / "debate.truth.csv", seed=seed, progress=progress, **vid_kw)
    info.update(video=str(out / "debate.mp4"), truth_csv=str(out / "debate.truth.csv"), video_frames=n)
    return info


def contact_sheet(seed: int = 0, per_class: int = 6, size=(224, 224), logo: bool = False) -> np.ndarray:
    """A grid (rows = classes) of images for eyeballing the generator."""
    rows = []
    for cls in CLASSES:
        ims = []
        for i in range(per_class):
            im, box, _ = _render(_image_rng(seed, "test", cls, i), cls, size, logo)
            im = im.copy()
            if box is not None:
                cv2.rectangle(im, box[:2], (box[2] - 1, box[3] - 1), (0, 255, 0), 1)
            ims.append(cv2.resize(im, size))
        rows.append(np.concatenate(ims, axis=1))
    return np.concatenate(rows, axis=0)
