#!/usr/bin/env bash
# Issue 19 on a CUDA device (H100/H200): Gram-route TPV with the library's device solver,
# the claim check that uses it, and the Lanczos split at p ~ 1M with host reads every step
# against every 8 steps. Caps add up to 225 s (plus the install); expected ~2 min on an H200.
#
# Run from the repository root on the device machine, carrying the ignored wheel folder
# .whl (pydantic, pydantic_core, annotated_types for the device's Python; torch, numpy,
# scipy, sympy are expected there), e.g. with the device tool:
#     run(command="bash benchmarks/gpu_issue19.sh", carry=[".whl"], timeout_s=300)
# Logs land in $OUT (gram.log, claim.log, lanczos1.log, lanczos8.log, pytest.log).
set -u
OUT=${OUT:-/tmp/issue19-out}
mkdir -p "$OUT"
REPO=$PWD
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 3
fi
# theorylab from this working tree: theorylab/ with gpu/ as theorylab.gpu (pyproject's layout)
rm -rf /tmp/src && mkdir -p /tmp/src && cp -r theorylab /tmp/src/ && cp -r gpu /tmp/src/theorylab/gpu
export PYTHONPATH=/tmp/src:/tmp/site PYTHONUNBUFFERED=1
(cd /tmp && python3 -c "import sys, torch, theorylab.gpu; print(sys.version.split()[0], torch.__version__,
torch.cuda.get_device_name(0))") 2>&1 | tee "$OUT/device.txt" || exit 3
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >> "$OUT/device.txt" 2>&1

echo "== gram_tpv (p = 1,023,001, n = 4000 + 4000, float64)"
timeout 90 python3 benchmarks/gram_tpv.py --device cuda --repeats 3 2>&1 | tee "$OUT/gram.log"

echo "== claim check tpv.label_noise_regimes::gram_route_exact_tpv, full level, CUDA"
(cd /tmp && timeout 35 python3 - <<'PY' 2>&1 | tee "$OUT/claim.log"
import time
from theorylab.claims.tpv.label_noise_regimes.torch_gram import gram_route_experiment
from theorylab.registry import CheckContext
from theorylab.spec import Level
started = time.perf_counter()
finding = gram_route_experiment(CheckContext(level=Level.FULL, backend="torch", device="cuda"))
print(f"{finding.verdict.value}: {finding.summary}")
print(f"wall {time.perf_counter() - started:.2f} s (incl. the LU Monte Carlo and CG cross-checks)")
PY
)

for every in 1 8; do
  echo "== Lanczos top-5 at p ~ 1M, n = 512, host reads every $every step(s)"
  timeout 35 python3 benchmarks/scaling.py --device cuda --sections lanczos --max-p 1000000 \
    --max-n 512 --repeats 3 --check-every $every 2>&1 | tee "$OUT/lanczos$every.log"
done

echo "== CUDA tests of the device routes"
rm -rf /tmp/gputests && cp -r "$REPO/tests/gpu" /tmp/gputests
(cd /tmp/gputests && timeout 30 python3 -m pytest -q -p no:cacheprovider \
  test_gpu_lanczos_checks.py test_gpu_gram_tpv.py 2>&1 | tee "$OUT/pytest.log")
