"""`videocam report --html` without a browser: what the page file holds, the index, the
thumbnails and the command's mistakes. The browser tests are in test_report_browser.py."""
from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import numpy as np
import pytest
from report_pages import APPEARANCES, BRIEF, CLASSES, SCRIPT, level, read_summary, write_run, write_truth, write_video

from videocam.cli.main import build_parser, main
from videocam.eval import report, report_html, thumbs
from videocam.io.csvfile import read_csv
from videocam.types import Box


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(path) -> _Tags:
    p = _Tags()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture
def run_dir(tmp_path):
    write_run(tmp_path / "clip.cam.csv")
    write_video(tmp_path / "clip.cam.mp4")
    return tmp_path


def test_page_beside_summary_with_a_mark_per_appearance(run_dir, capsys):
    assert main(["report", str(run_dir / "clip.cam.csv"), "--html"]) == 0
    page = run_dir / "clip.cam.report.html"
    assert f"wrote {page}" in capsys.readouterr().out
    tags = parse(page).tags
    marks = Counter(a["data-lane"] for t, a in tags if t == "rect" and a.get("class") == "mark")
    brief = Counter(a["data-lane"] for t, a in tags if t == "rect" and a.get("class") == "brief")
    summary = read_summary(run_dir / "clip.cam.summary.csv")
    assert dict(marks) == APPEARANCES and dict(brief) == BRIEF  # under the floor: drawn pale, not counted
    assert all(int(summary[k]["appearances"]) == v for k, v in marks.items())
    videos = [a for t, a in tags if t == "video"]
    assert [v["src"] for v in videos] == ["clip.cam.mp4"]  # the annotated video beside it, by relative path
    shown = {a["data-name"]: None for t, a in tags if t == "tr" and "data-name" in a}
    assert list(shown) == ["ahn", "moon", "nobody", "2+ people"]


def test_page_is_self_contained(run_dir):
    main(["report", str(run_dir / "clip.cam.csv"), "--html"])
    text = (run_dir / "clip.cam.report.html").read_text(encoding="utf-8")
    tags = parse(run_dir / "clip.cam.report.html").tags
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]", text.replace("http-equiv", ""))
    scripts = [a for t, a in tags if t == "script"]
    assert scripts == [{}]  # one inline script, no src
    assert not [a for t, a in tags if t == "link"]
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    imgs = [a["src"] for t, a in tags if t == "img"]
    assert len(imgs) == APPEARANCES["ahn"] + APPEARANCES["moon"]  # a thumbnail per person's appearance
    assert all(s.startswith("data:image/jpeg;base64,") for s in imgs)


def test_names_are_escaped_in_the_file(tmp_path):
    evil, kim = "<img src=x onerror=alert(1)>", 'Kim "Jr." & Sons'
    script = [(evil, [evil]), (evil, [evil, kim]), (kim, [kim]), ("nobody", [])]
    csv_path = write_run(tmp_path / "x.cam.csv", script, classes=(evil, kim, "nobody"))
    assert main(["report", str(csv_path), "--html"]) == 0
    text = (tmp_path / "x.cam.report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in text and 'Kim "Jr."' not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "Kim &quot;Jr.&quot; &amp; Sons" in text
    parsed = parse(tmp_path / "x.cam.report.html")
    assert not [a for t, a in parsed.tags if t == "img" and a.get("src") == "x"]
    assert evil in "".join(parsed.text) and kim in "".join(parsed.text)  # shown as text


def test_truth_adds_lanes_and_agreement(tmp_path):
    csv_path = write_run(tmp_path / "clip.cam.csv")
    truth = write_truth(tmp_path / "clip.truth.csv")
    assert main(["report", str(csv_path), "--truth", str(truth), "--html"]) == 0
    tags = parse(tmp_path / "clip.cam.report.html").tags
    assert sum(1 for t, a in tags if t == "div" and a.get("class", "").startswith("lane truth")) == 4
    assert sum(1 for t, a in tags if t == "rect" and a.get("class") == "tmark") > 0
    assert not [a for t, a in tags if t == "video"]  # no video beside it: the page says so instead


def test_presence_agreement(tmp_path):
    # the run sees moon in frames 0-3, the truth in frames 2-5: both 2 frames, either 6
    run = write_run(tmp_path / "a.csv", [("moon", [])] * 4 + [("nobody", [])] * 2)
    truth = write_truth(tmp_path / "t.csv", [("nobody", [])] * 2 + [("moon", [])] * 4)
    rep = report.analyse(read_csv(run), truth=read_csv(truth))
    ag = report.presence_agreement(rep)
    assert ag["moon"] == pytest.approx(2 / 6)
    assert ag["nobody"] == pytest.approx(0.0)
    assert ag["ahn"] is None and ag["2+ people"] is None
    assert report.presence_agreement(report.analyse(read_csv(run))) == {}


def test_lane_appearances_match_the_report(run_dir):
    table = read_csv(run_dir / "clip.cam.csv")
    rep = report.analyse(table)
    for s in rep.rows():
        apps = report_html.lane_appearances(rep, table.rows, s.name)
        listed = [x for x in apps if x.listed]
        assert len(listed) == s.appearances and len(apps) - len(listed) == s.brief
        assert max((x.t1 - x.t0 for x in listed), default=0.0) == pytest.approx(s.longest_s)
    ahn = report_html.lane_appearances(rep, table.rows, "ahn")
    assert [(x.a, x.b) for x in ahn] == [(5, 16), (27, 30)]
    assert ahn[0].shot == 10 and ahn[0].box is not None and ahn[0].mean_p is not None
    multi = report_html.lane_appearances(rep, table.rows, report.MULTI)
    assert multi[0].who == ["ahn", "moon"]


def test_grab_frames_by_time(tmp_path):
    video = write_video(tmp_path / "v.mp4", n=30)
    times = [2.7, 0.0, 1.3, 9.0]  # unsorted; the last is past the end
    frames = thumbs.grab_frames(video, times, tol=0.05)
    assert frames[3] is None
    for t, f in zip(times[:3], frames):
        assert abs(int(f[20, 30, 0]) - level(round(t * 10))) <= 3


def test_thumbnail_draws_the_box():
    rgb = np.zeros((90, 160, 3), np.uint8)
    jpg = thumbs.thumbnail_jpeg(rgb, Box("a", 0.9, 40, 20, 120, 70), (255, 0, 0), width=160)
    import cv2
    img = cv2.cvtColor(cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert img.shape == (90, 160, 3)
    assert img[45, 40, 0] > 150 and img[45, 80, 0] < 40  # red on the box's edge, not inside


def test_several_runs_make_an_index(tmp_path, capsys):
    for name, script in (("a", SCRIPT), ("b", [("moon", ["moon"])] * 10)):
        write_run(tmp_path / f"{name}.cam.csv", script)
    assert main(["report", str(tmp_path), "--html"]) == 0  # a folder: its *.cam.csv
    out = capsys.readouterr().out
    index = tmp_path / report_html.INDEX_NAME
    assert f"wrote {index}" in out
    tags = parse(index).tags
    assert [a["href"] for t, a in tags if t == "a"] == ["a.cam.report.html", "b.cam.report.html"]
    assert all((tmp_path / f"{n}.cam.report.html").is_file() for n in "ab")
    totals = [a["data-s"] for t, a in tags if t == "td" and "data-s" in a][-len(CLASSES) + 1:]
    assert [float(v) for v in totals] == pytest.approx([1.4, 0.8 + 1.0])  # ahn, moon across both


def test_index_in_out_links_back(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    write_run(tmp_path / "x" / "a.cam.csv")
    write_run(tmp_path / "y" / "b.cam.csv")
    assert main(["report", str(tmp_path / "x" / "a.cam.csv"), str(tmp_path / "y" / "b.cam.csv"), "--html"]) == 0
    tags = parse(tmp_path / report_html.INDEX_NAME).tags  # their common folder
    assert [a["href"] for t, a in tags if t == "a"] == ["x/a.cam.report.html", "y/b.cam.report.html"]


@pytest.mark.parametrize("args, msg", [
    (["--html", "--video", "{d}/missing.mp4"], "--video: no such file"),
    (["--video", "{d}/clip.cam.mp4"], "--video is for the page: add --html"),
    (["{d}/clip.cam.csv", "--truth", "{d}/clip.cam.csv"], "--truth goes with one CSV, not 2"),
    (["{d}/sub/clip.cam.csv", "--out", "{d}/o"], "would both write"),
])
def test_mistakes_are_one_line(run_dir, capsys, args, msg):
    (run_dir / "sub").mkdir()
    write_run(run_dir / "sub" / "clip.cam.csv")
    code = main(["report", str(run_dir / "clip.cam.csv"), *(a.format(d=run_dir) for a in args)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and msg in err and err.count("\n") == 1


def test_empty_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["report", str(tmp_path), "--html"]) == 2
    assert "no *.cam.csv files" in capsys.readouterr().err


def test_help_states_every_default():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    r = sub.choices["report"]
    for act in r._actions:
        if act.option_strings and act.dest != "help":
            assert "default" in (act.help or ""), act.option_strings


def test_clock():
    assert report_html.clock(3.2) == "0:03.20"
    assert report_html.clock(59.999) == "1:00.00"
    assert report_html.clock(3723.4) == "1:02:03.40"


def test_one_frame_and_no_probabilities(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text('frame,time_s,label,boxes\n0,5.0,moon,"[]"\n', encoding="utf-8")
    assert main(["report", str(path), "--html"]) == 0
    tags = parse(tmp_path / "one.report.html").tags
    svg = [a["viewbox"] for t, a in tags if t == "svg"]
    assert svg and all(float(v.split()[2]) > 0 for v in svg)  # a usable axis, even for 0 s
    assert [a["data-lane"] for t, a in tags if t == "rect"] == ["moon"]


def test_thumbnails_capped_to_the_longest(run_dir):
    table = read_csv(run_dir / "clip.cam.csv")
    rep = report.analyse(table)
    apps = [x for lane in ("ahn", "moon") for x in report_html.lane_appearances(rep, table.rows, lane)]
    colors = report_html.lane_colors(rep.people, table.classes)
    report_html.add_thumbnails(apps, rep, run_dir / "clip.cam.mp4", colors, limit=1)
    assert [(x.lane, x.a) for x in apps if x.thumb] == [("ahn", 5)]  # the longest, 1.1 s


# ------------------------------------------------------- run info, 2+ people, thumbnails' source


def _with_run_info(run_dir, source=None, multi=True):
    """Write `clip.cam.json` beside the fixture's CSV and MP4, as `run` would, naming `source` as the input."""
    from videocam.io.runinfo import run_settings, write_run_info
    settings = run_settings(classes=CLASSES, model_path="m.keras", multi=multi, refine=True, lead=True, fill=True,
                            threshold=0.2, boxes="union", norm="max", nobody=None, smooth=None, steady=None,
                            torso=True, panel=True, scale="fixed", aspect="square", start=None, end=None,
                            every=None, fps=None, batch=16, precision="float32")
    outputs = {"csv": run_dir / "clip.cam.csv", "mp4": run_dir / "clip.cam.mp4"}
    write_run_info(run_dir / "clip.cam.json", input=source or run_dir / "gone.mp4", outputs=outputs, complete=True,
                   interrupted=None, frames=len(SCRIPT), seconds=1.0, model_path="m.keras", bundled=False,
                   classes=CLASSES, settings=settings)


def _settings(page) -> dict[str, str]:
    text = page.read_text(encoding="utf-8")
    dl = text[text.index('<dl class="settings">'):text.index("</dl>")]
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", dl))


def test_settings_come_from_the_run_info(run_dir):
    assert main(["report", str(run_dir / "clip.cam.csv"), "--html"]) == 0
    assert "not recorded" in _settings(run_dir / "clip.cam.report.html")["run settings"]
    _with_run_info(run_dir)
    assert main(["report", str(run_dir / "clip.cam.csv"), "--html"]) == 0
    shown = _settings(run_dir / "clip.cam.report.html")
    assert "run settings" not in shown and "not recorded" not in "".join(shown.values())
    from videocam.stages.chain import DEFAULT_SMOOTH
    from videocam.stages.steady import STEADY_K
    assert shown["nobody"] == "model&#x27;s nobody class"
    assert (shown["smooth"], shown["steady"]) == (str(DEFAULT_SMOOTH), str(STEADY_K))
    assert shown["multi"] == "on" and shown["threshold"] == "0.2" and shown["sampling"] == "every frame"
    assert shown["model file"] == "m.keras" and "None" not in shown.values()


def test_one_person_run_says_unknown_like_the_cli(run_dir, capsys):
    _with_run_info(run_dir, multi=False)
    assert main(["report", str(run_dir / "clip.cam.csv"), "--html"]) == 0
    cli = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("2+ people"))
    page = run_dir / "clip.cam.report.html"
    text = page.read_text(encoding="utf-8")
    row = text[text.index('<tr data-name="2+ people">'):]
    row = row[:row.index("</tr>")]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[:5] == cli.split()[2:4] + cli.split()[5:7] + ["-"]  # screen, share, appearances, longest, mean p
    assert cells[0] == report.UNKNOWN_TEXT and "0.00" not in row
    assert 'class="matrix"' not in text and report.ONE_PERSON_NOTE in text.replace("&#x27;", "'")
    tags = parse(page).tags
    assert not [a for t, a in tags if t == "rect" and a.get("data-lane") == report.MULTI]


def _thumb_pixels(page) -> list[np.ndarray]:
    import base64

    import cv2
    out = []
    for t, a in parse(page).tags:
        if t == "img":
            jpg = base64.b64decode(a["src"].split(",", 1)[1])
            out.append(cv2.cvtColor(cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))
    return out


def test_thumbnails_from_the_source_with_one_box_else_the_annotated_video(run_dir):
    from videocam.io.writers import Mp4Writer
    src = write_video(run_dir / "source.mp4")  # grey levels; the annotated MP4 below is red
    ann = Mp4Writer(run_dir / "clip.cam.mp4", 10.0, 64, 48)
    for i in range(len(SCRIPT)):
        ann.write(np.full((48, 64, 3), (200, 30, 30), np.uint8), i / 10.0)
    ann.close()
    _with_run_info(run_dir, source=src)
    assert main(["report", str(run_dir / "clip.cam.csv"), "--html"]) == 0
    page = run_dir / "clip.cam.report.html"
    imgs = _thumb_pixels(page)
    assert len(imgs) == APPEARANCES["ahn"] + APPEARANCES["moon"]
    k = 176 / 64  # the fixture's box: x0=4, y0=6 .. x1=32, y1=42
    for img in imgs:
        inside = img[int(24 * k), int(18 * k)]
        assert abs(int(inside[0]) - int(inside[2])) < 12  # grey: the source's frame
        edge = img[int(24 * k), int(4 * k) + 1]
        assert np.abs(edge.astype(int) - inside.astype(int)).max() > 40  # the box is drawn
    assert 'id="thumbnote"' not in page.read_text(encoding="utf-8")
    assert [a["src"] for t, a in parse(page).tags if t == "video"] == ["clip.cam.mp4"]  # still plays the annotated

    src.unlink()  # the source is gone: the annotated video, no box added, and the page says so
    assert main(["report", str(run_dir / "clip.cam.csv"), "--html"]) == 0
    text = page.read_text(encoding="utf-8")
    assert 'id="thumbnote"' in text and "annotated video clip.cam.mp4" in text
    for img in _thumb_pixels(page):
        edge = img[int(24 * k), int(4 * k) + 1]
        assert edge[0] > 150 and edge[1] < 80  # red all over: no box drawn over the annotated frame
