#!/usr/bin/env bash
# `videocam bench` on a lent GPU machine, in one call (see README "Performance", GPU).
# That machine has JAX with CUDA but no TensorFlow, and a TensorFlow GPU build is far too
# large to carry, so videocam runs there on Keras' JAX backend. Carried wheels (.whl/):
# keras, namex, optree, av. Writes logs and JSON under $OUT.
set -uo pipefail
export PYTHONUNBUFFERED=1 KERAS_BACKEND=jax
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
fi
{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv
  nproc
  python3 -c "import jax, keras, av, cv2, numpy; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__, 'av', av.__version__, 'cv2', cv2.__version__, 'numpy', numpy.__version__)"
} 2>&1 | tee "$OUT/env.txt"
python3 -c "from videocam.model import build_model, save_model; m, i = build_model(6, backbone='vgg16'); i.classes = list('abcdef'); save_model(m, i, '/tmp/vgg16_gap.keras')" || exit 1
timeout 75 python3 scripts/writers_ab.py --batch 64 2>&1 | tee "$OUT/writers_ab.log"
timeout 75 python3 scripts/writers_ab.py --batch 64 --gif 2>&1 | tee "$OUT/writers_ab_gif.log"
timeout 110 python3 -m videocam bench --frames 256 --batch 64 --repeat 3 --json "$OUT/bench_gpu_default.json" 2>&1 | tee "$OUT/bench_gpu_default.log"
timeout 140 python3 -m videocam bench --model /tmp/vgg16_gap.keras --frames 256 --batch 64 --baseline-frames 10 --repeat 3 \
  --json "$OUT/bench_gpu_vgg16_gap.json" 2>&1 | tee "$OUT/bench_gpu_vgg16_gap.log"
