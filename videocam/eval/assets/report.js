// videocam report page: hover, click-to-seek and the playhead. Inlined by
// videocam/eval/report_html.py. Everything from the data is read from data-*
// attributes and written with textContent, never parsed as HTML.
(function () {
  "use strict";
  var root = document.getElementById("report");
  var video = document.getElementById("video");
  var tip = document.getElementById("tip");
  var track = document.getElementById("track");
  var playhead = document.getElementById("playhead");
  var t0 = parseFloat(root.dataset.t0), dur = parseFloat(root.dataset.dur);
  var frame = parseFloat(root.dataset.frame) || 0;

  // Seek a quarter of a frame past the start: CSV times carry 4 decimals, and a
  // seek that lands a hair early would show the frame before the appearance.
  function seek(t) {
    if (!video || !isFinite(t)) return;
    video.currentTime = t + 0.25 * frame;
    var p = video.play();
    if (p && p.catch) p.catch(function () { /* autoplay refused: the frame still shows */ });
  }

  function seekFrom(el) {
    var t = parseFloat(el.getAttribute("data-t0"));
    if (isFinite(t)) seek(t);
  }

  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-t0]");
    if (el) { seekFrom(el); return; }
    var svg = e.target.closest("svg.bars");
    if (svg && dur > 0) {  // a click on the lane between bars seeks to that time
      var r = svg.getBoundingClientRect();
      seek(t0 + dur * Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)));
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" && e.key !== " ") return;
    var el = e.target.closest && e.target.closest("rect[data-t0]");
    if (el) { e.preventDefault(); seekFrom(el); }
  });

  function place(e) {
    var x = e.clientX + 14, y = e.clientY + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 4) x = Math.max(4, e.clientX - w - 10);
    if (y + h > window.innerHeight - 4) y = Math.max(4, e.clientY - h - 10);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }

  document.addEventListener("mouseover", function (e) {
    var el = e.target.closest && e.target.closest("[data-tip]");
    if (!el) { tip.hidden = true; return; }
    tip.textContent = el.getAttribute("data-tip");
    tip.hidden = false;
    place(e);
  });
  document.addEventListener("mousemove", function (e) { if (!tip.hidden) place(e); });
  document.addEventListener("mouseleave", function () { tip.hidden = true; });

  // The playhead follows the video, every animation frame while it plays.
  function draw() {
    if (!video || !(dur > 0)) return;
    var f = (video.currentTime - t0) / dur;
    playhead.style.display = f >= 0 && f <= 1 ? "block" : "none";
    playhead.style.left = (100 * f) + "%";
  }
  function loop() { draw(); if (!video.paused && !video.ended) window.requestAnimationFrame(loop); }
  if (video && track) {
    video.addEventListener("timeupdate", draw);
    video.addEventListener("seeked", draw);
    video.addEventListener("play", loop);
  }
})();
