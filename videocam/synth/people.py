"""The five made-up debaters: identity lives only in local shapes (hair, glasses, tie,
...), every colour is drawn from palettes shared by all people. Sizes are (width,
height); arrays (height, width, 3) uint8 RGB; boxes (x0, y0, x1, y1), x1/y1 exclusive."""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from videocam.types import NOBODY

PEOPLE: tuple[str, ...] = ("ahn", "hong", "moon", "sim", "you")
CLASSES: tuple[str, ...] = PEOPLE + (NOBODY,)
SPLITS: tuple[str, ...] = ("train", "val", "test")
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


def shade(c, f: float) -> tuple[float, float, float]:
    return tuple(float(min(255.0, max(0.0, v * f))) for v in c)


def rand_color(rng: np.random.Generator) -> tuple[float, float, float]:
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
    suit, dark = lk.suit, shade(lk.suit, lk.outline)
    skin = lk.skin
    # neck
    p.rect(-0.062, st - 0.16, 0.062, st + 0.04, shade(skin, 0.9))
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
        p.rect(-0.075, st - 0.085, 0.075, st + 0.03, shade(lk.accent, 0.92))
        for k in range(4):
            y = st - 0.07 + k * 0.028
            p.line(-0.07, y, 0.07, y, shade(lk.accent, 0.65), 0.006)
        for k in range(-2, 3):
            p.line(k * 0.03, st + 0.03, k * 0.012, st + 0.35, shade(lk.accent, 0.75), 0.005)
        p.polyline([(-0.15, st), (-0.03, st + 0.42)], dark, 0.012)
        p.polyline([(0.15, st), (0.03, st + 0.42)], dark, 0.012)
        return
    if lab == "sim":
        # open jacket, round-neck blouse and a pearl necklace with a pendant
        p.poly([(-0.17, st - 0.01), (0.17, st - 0.01), (0.05, st + 0.40), (-0.05, st + 0.40)], lk.shirt)
        p.ellipse(0, st - 0.005, 0.085, 0.06, shade(skin, 0.9), a0=0, a1=180)
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
    sh = shade(lk.shirt, 0.8)
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
        p.ellipse(0, st + 0.01, 0.024, 0.03, shade(bt, 0.7))
        p.line(-0.07, st - 0.01, -0.07, st + 0.035, shade(bt, 0.6), 0.006)
        p.line(0.07, st - 0.01, 0.07, st + 0.035, shade(bt, 0.6), 0.006)
    else:
        # pointed collar and a long tie
        p.poly([(-0.07, st - 0.04), (0.0, st + 0.02), (-0.06, st + 0.07)], lk.shirt)
        p.poly([(0.07, st - 0.04), (0.0, st + 0.02), (0.06, st + 0.07)], lk.shirt)
        p.polyline([(-0.07, st - 0.04), (0.0, st + 0.02), (-0.06, st + 0.07)], sh, 0.005)
        p.polyline([(0.07, st - 0.04), (0.0, st + 0.02), (0.06, st + 0.07)], sh, 0.005)
        tie = lk.accent
        p.poly([(-0.032, st + 0.005), (0.032, st + 0.005), (0.022, st + 0.05), (-0.022, st + 0.05)], shade(tie, 0.85))
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
        p.polyline(blade, shade(tie, 0.6), 0.004, closed=True)
    # lapels
    p.poly([(-0.13, st - 0.01), (-0.02, vb - 0.02), (-0.1, st + 0.16), (-0.2, st + 0.05)], shade(suit, 1.15))
    p.poly([(0.13, st - 0.01), (0.02, vb - 0.02), (0.1, st + 0.16), (0.2, st + 0.05)], shade(suit, 1.15))
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
    hdark = shade(hair, 0.7) if sum(hair) > 150 else shade(hair, 1.6)
    sdark = shade(skin, 0.72)
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
        p.ellipse(-hw * 0.3, hy - hh * 0.75, hw * 0.28, hh * 0.1, shade(skin, 1.15), angle=-15, mask=False)
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
        p.line(px, hy - hh * 1.0, px, hy - hh * 0.45, shade(skin, 0.95), 0.011, mask=False)
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


