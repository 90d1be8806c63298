#!/usr/bin/env bash
# The face chain's own parts, switched off one at a time on the tuning material (seeds 0-9,
# training.xml group photos, shots held 12 frames); each line is `face_eval.py`'s pooled result.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { echo "== $1"; shift; python scripts/face_eval.py --split tuning --hold 12 --photos 0 "$@" | tail -1; }
run "default chain"
run "no track votes (VOTES=1)" --set VOTES=1
run "no identity check on tracks (TRACK_BREAK off)" --set TRACK_BREAK=99
run "each face named on its own (no one-face-per-person)" --set ONE_FACE_PER_PERSON=0
run "detect every frame (no tracks between detections)" --set DETECT_EVERY=1
run "exact chip CAMs in the frame map (MAP_SPREAD=1)" --set MAP_SPREAD=1
