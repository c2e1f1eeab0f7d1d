"""Quick-level torch checks of papers 001-004 on CUDA (device path; skipped without CUDA).

Each test runs every torch check of one experiment module with ``device="cuda"``: a CPU
tensor meeting a CUDA one, ``.numpy()`` on a CUDA tensor or a CPU generator in a CUDA
sampling call raises here and nowhere on the CPU.
"""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from theorylab.registry import CheckContext, load_catalog  # noqa: E402
from theorylab.spec import CheckKind, Level, Verdict  # noqa: E402

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _run_torch_checks(*claims: str) -> None:
    catalog = load_catalog()
    context = CheckContext(level=Level.QUICK, seed=0, backend="torch", device="cuda")
    for claim in claims:
        for check in catalog.checks(claim):
            if check.spec.kind is not CheckKind.TORCH:
                continue
            finding = check.function(context)
            assert isinstance(finding.verdict, Verdict), (claim, check.spec.name)
            assert torch.device(finding.device).type == "cuda", (claim, check.spec.name)


@pytest.mark.gpu
@needs_cuda
def test_awd_empirical_alpha_torch_runs_on_cuda():
    _run_torch_checks("awd.empirical_alpha")


@pytest.mark.gpu
@needs_cuda
def test_seos_empirical_torch_runs_on_cuda():
    _run_torch_checks("seos.empirical_k")


@pytest.mark.gpu
@needs_cuda
def test_subspace_empirical_torch_runs_on_cuda():
    _run_torch_checks("subspace.empirical", "subspace.empirical.corrected")


@pytest.mark.gpu
@needs_cuda
def test_softrank_empirical_torch_runs_on_cuda():
    _run_torch_checks("softrank.empirical", "softrank.block_diagonal")
