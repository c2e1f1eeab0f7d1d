r"""App. E.4.1-E.4.2 (Eq. 84-95): C_ii against H_ii when directions align or decouple."""

from __future__ import annotations

import itertools

import sympy

from theorylab.proofs.awd.common import real_symbols
from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.spec import DerivationStep

__all__ = ["alignment_limits_derivation"]


def alignment_limits_derivation(size: int = 2) -> list[DerivationStep]:
    r"""App. E.4: Prop. 5.3 (Eq. 84-86) and Prop. 5.5 (Eq. 87-95) on symbolic instances."""
    frame = cayley_orthogonal(size, "u")
    magnitudes = real_symbols("h", size, positive=True)
    xi = sympy.Symbol("xi", positive=True)
    scales = [xi, 2 - xi]  # two equally likely samples, E[scale] = 1
    hessians = [frame * sympy.diag(*[s * h for h in magnitudes]) * frame.T for s in scales]
    mean_h = (hessians[0] + hessians[1]) / 2
    mean_c = (hessians[0] ** 2 + hessians[1] ** 2) / 2
    second = sum(s**2 for s in scales) / 2
    steps = []
    for i in range(size):
        u = frame[:, i]
        h_ii = (u.T * mean_h * u)[0, 0]
        c_ii = (u.T * mean_c * u)[0, 0]
        steps.append(
            equality_step(
                f"aligned_first_moment_{i + 1}",
                "Eq. 84",
                r"v^s_k = u_k \Rightarrow H_{ii} = \mathbb{E}_s\lambda^s_i",
                h_ii,
                magnitudes[i],
                method="cancel",
            )
        )
        steps.append(
            equality_step(
                f"aligned_quadratic_{i + 1}",
                "Eq. 85-86",
                r"\mathrm{Var}\lambda^s_i = \kappa\bar\lambda_i^2"
                r" \Rightarrow C_{ii} = (1+\kappa)H_{ii}^2",
                c_ii,
                second * h_ii**2,
                method="cancel",
            )
        )
    # Prop. 5.5: magnitudes independent of directions, two equally likely values each.
    values = real_symbols("m", 2, positive=True)
    overlaps = real_symbols("c", 2, nonnegative=True)
    pairs = list(itertools.product(values, overlaps))
    h_ii = sum(lam * c for lam, c in pairs) / len(pairs)
    c_ii = sum(lam**2 * c for lam, c in pairs) / len(pairs)
    mu1 = sum(values) / 2
    mu2 = sum(v**2 for v in values) / 2
    steps.append(
        equality_step(
            "independent_first_moment",
            "Eq. 88-90",
            r"H_{ii} = \mu_1\sum_k\mathbb{E}(u_i\cdot v_k)^2",
            h_ii,
            mu1 * sum(overlaps) / 2,
        )
    )
    steps.append(
        equality_step(
            "independent_ratio",
            "Eq. 91-95",
            r"C_{ii}/H_{ii} = \mu_2/\mu_1 \text{ (independent of } i)",
            c_ii / h_ii,
            mu2 / mu1,
        )
    )
    return steps
