r"""``seos.k_full_batch``: K = 0 for full-batch training (Sec. 2.3 after Theorem 2.1).

The text: at :math:`\beta = 1`, :math:`\mathcal{K} = 0` and :math:`\max\lambda[A+B] =
(1-\eta\lambda_{\min})^2`. At :math:`\beta = 1`, :math:`B = 0` and :math:`A = (I-\eta\Lambda)^2`,
so :math:`\max\lambda[A+B] = \max_\alpha(1-\eta\lambda_\alpha)^2`: the printed
:math:`(1-\eta\lambda_{\min})^2` only while :math:`\eta(\lambda_{\min}+\lambda_{\max}) \le 2`
(premise audit, issue 18). The corrected companion states the maximum over every mode.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.common import hadamard_ntk, setting_ntks, small_rationals
from theorylab.claims.seos.paper import cite
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.noise_kernel import noise_kernel_norm
from theorylab.spec import CheckKind, Finding

__all__ = ["K_FULL_BATCH", "K_FULL_BATCH_CORRECTED"]

K_FULL_BATCH, K_FULL_BATCH_CORRECTED = CATALOG.add_specs(__file__, cite)

MINIMAL = {"ntk": [[0.5, 0.0], [0.0, 1.0]], "eta": 1.5, "B": 2}
r"""Hand-minimal: eigenvalues (1/2, 1), :math:`\eta = 3/2 < 2/\lambda_{\max}`, ``B = D = 2``:
:math:`(1-\eta\lambda_{\min})^2 = 1/16` but :math:`(1-\eta\lambda_{\max})^2 = 1/4`."""


def _sweep(
    rng: np.random.Generator, bound: float, *, corrected: bool
) -> tuple[float, int, dict | None]:
    r"""(worst residual, instances, first instance past ``bound``) over settings, eta to the EOS.

    The residual is :math:`|\mathcal{K}|` and the gap of :math:`\max\lambda[A+B]` to the
    printed :math:`(1-\eta\lambda_{\min})^2` (``corrected``: to :math:`\max_\alpha
    (1-\eta\lambda_\alpha)^2`, plus 1 where "printed value exact iff
    :math:`\eta(\lambda_{\min}+\lambda_{\max}) \le 2`" fails); the hand-minimal instance first.
    """
    ntks = [np.array(MINIMAL["ntk"])] + [ntk for _, _, ntk in setting_ntks(rng, (2, 5, 9), 3)]
    ntks += [hadamard_ntk([0.5, 0.2, 0.1, 0.05])]
    worst, count, witness = 0.0, 0, None
    for index, ntk in enumerate(ntks):
        lam = np.linalg.eigvalsh(ntk)
        fractions = [MINIMAL["eta"] * lam[-1] / 2] if index == 0 else [0.1, 0.5, 0.95]
        for fraction in fractions:
            eta = 2 * fraction / float(lam[-1])
            norm = noise_kernel_norm(ntk, eta, ntk.shape[0])
            printed = float((1 - eta * lam[0]) ** 2)
            expected = float(np.max((1 - eta * lam) ** 2)) if corrected else printed
            residual = max(abs(norm.value), abs(norm.diagonal_max - expected))
            if corrected and abs(eta * (lam[0] + lam[-1]) - 2) > bound:
                residual += (abs(printed - expected) <= bound) != (eta * (lam[0] + lam[-1]) < 2)
            if residual > bound and witness is None:
                witness = {"ntk": small_rationals(ntk), "eta": float(eta), "B": ntk.shape[0],
                           "max_lambda_A_plus_B": norm.diagonal_max, "printed": expected}
            worst = max(worst, residual)
            count += 1
    return worst, count, witness


@CATALOG.check(
    K_FULL_BATCH,
    kind=CheckKind.EXACT,
    description=(
        "B = D over flat/dispersed/localized/Hadamard NTKs, eta to the EOS, and the hand-minimal "
        "diag(1/2, 1), eta = 3/2: K = 0 and max λ(A+B) = (1-ηλ_min)^2 as printed"
    ),
)
def full_batch(context: CheckContext) -> Finding:
    """K vanishes exactly; max λ(A+B) against the printed (1 - η λ_min)^2 (Sec. 2.3)."""
    bound = K_FULL_BATCH.tolerance.atol
    worst, count, witness = _sweep(context.rng(), bound, corrected=False)
    case = witness or {}
    return judged(
        witness is None and worst <= bound,
        f"K at beta = 1 and max λ(A+B) vs (1-ηλ_min)^2: max residual {worst:.2e} (bound "
        f"{bound:.0e}) over {count} instances",
        instance=lambda: {key: case[key] for key in ("ntk", "eta", "B")},
        claimed=f"max λ(A+B) = (1-ηλ_min)^2 = {case.get('printed', 0.0):.4g}",
        actual=f"max λ(A+B) = {case.get('max_lambda_A_plus_B', 0.0):.4g} (= (1-ηλ_max)^2)",
        residual=worst,
        bound=bound,
        instances=count,
    )


@CATALOG.check(
    K_FULL_BATCH_CORRECTED,
    kind=CheckKind.EXACT,
    description=(
        "the same sweep: K = 0, max λ(A+B) = max_α (1-ηλ_α)^2, and it equals (1-ηλ_min)^2 iff "
        "η(λ_min+λ_max) <= 2"
    ),
)
def full_batch_corrected(context: CheckContext) -> Finding:
    """K vanishes exactly; A + B = (I - ηΛ)^2 whose top eigenvalue is the largest square."""
    bound = K_FULL_BATCH_CORRECTED.tolerance.atol
    worst, count, witness = _sweep(context.rng(), bound, corrected=True)
    case = witness or {}
    return judged(
        witness is None and worst <= bound,
        f"K at beta = 1 and max λ(A+B) vs max_α(1-ηλ_α)^2: max residual {worst:.2e} "
        f"(bound {bound:.0e}) over {count} instances",
        instance=lambda: case,
        residual=worst,
        bound=bound,
        instances=count,
    )
