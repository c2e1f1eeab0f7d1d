r"""Regime (2a) of ``tpv.label_noise_regimes`` on real MLP Jacobians (paper 000, App. C.2).

The exact linearised label-noise TPV at :math:`\lambda = 0` (r = n) of the App. F.2.1
reference network (:mod:`.torch_reference`), on train and test inputs from one law, against
the paper's :math:`\mathrm{TPV}_{test} \approx \sigma^2`.
"""

from __future__ import annotations

import time

import numpy as np

from theorylab.claims.tpv.label_noise_regimes import MATCHED_BAND
from theorylab.claims.tpv.label_noise_regimes.torch_reference import (
    DENSE_JACOBIAN_BYTES,
    grams,
    reference_network,
    sizes,
)
from theorylab.figures import figure
from theorylab.gpu import output_jacobian
from theorylab.registry import CheckContext
from theorylab.solvers.linear_label_noise import gram_label_noise_tpv
from theorylab.solvers.tpv import label_noise_tpv
from theorylab.spec import Finding, Verdict

__all__ = ["interpolation_experiment"]


def interpolation_experiment(context: CheckContext) -> Finding:
    """Regime (2a) on MLP Jacobians: TPV_train = σ² exactly; TPV_test/σ² vs the claimed ≈ 1."""
    started = time.perf_counter()
    widths, train_size, test_size = sizes(context.full)
    rows = []
    for width in widths:
        reference = reference_network(width, train_size, test_size, context.seed, context.device)
        parameters = sum(p.numel() for p in reference.model.parameters())
        if max(train_size, test_size) * parameters * 8 <= DENSE_JACOBIAN_BYTES:
            train = output_jacobian(reference.model, reference.train_inputs).cpu().numpy()
            test = output_jacobian(reference.model, reference.test_inputs).cpu().numpy()
            result = label_noise_tpv(train, test, 1.0)
            route = "svd (label_noise_tpv)"
            singular_squares = result.singular_values**2
            b_diagonal = result.b_diagonal
            tpv_test, tpv_train, rank = result.test, result.train, result.rank
        else:
            gram, cross, _ = grams(reference)
            gram_result = gram_label_noise_tpv(gram, cross, 1.0)
            route = "gram (gram_label_noise_tpv)"
            singular_squares = gram_result.gram_eigenvalues
            b_diagonal = np.full_like(singular_squares, np.nan)
            tpv_test, tpv_train, rank = gram_result.test, gram_result.train, gram_result.rank
        ratio_b = b_diagonal / (singular_squares / train_size)
        rows.append(
            {
                "width": width,
                "parameters": parameters,
                "rank": rank,
                "tpv_train_over_sigma2": tpv_train,
                "tpv_test_over_sigma2": tpv_test,
                "median_B_over_S2_n": float(np.nanmedian(ratio_b)) if rank else float("nan"),
                "clean_train_mse": reference.final_loss,
                "route": route,
            }
        )
    interpolating = [row for row in rows if row["rank"] == train_size]
    outside = [
        row for row in interpolating if abs(row["tpv_test_over_sigma2"] - 1.0) > MATCHED_BAND
    ]
    if not interpolating:
        verdict = Verdict.NOT_APPLICABLE
    else:
        verdict = Verdict.REFUTED if outside else Verdict.HOLDS_APPROX
    return Finding(
        verdict=verdict,
        summary=(
            "r = n, λ = 0, matched train/test law: TPV_train/σ² = "
            + ", ".join(f"{row['tpv_train_over_sigma2']:.3f}" for row in rows)
            + "; TPV_test/σ² = "
            + ", ".join(f"{row['tpv_test_over_sigma2']:.3f} (width {row['width']})" for row in rows)
            + f"; {len(outside)}/{len(interpolating)} outside the 50% band around 1"
        ),
        lhs=1.0,
        rhs=rows[-1]["tpv_test_over_sigma2"],
        residual=max(abs(row["tpv_test_over_sigma2"] - 1.0) for row in rows),
        bound=MATCHED_BAND,
        error_law="paper: TPV_test ≈ σ² (no error model; the 50% band of Fig. 1)",
        sizes={"n_train": train_size, "n_test": test_size, "widths": len(widths)},
        device=context.device,
        backend="torch",
        instances=len(rows),
        figure=figure(
            "Regime (2a) on MLP Jacobians: label-noise TPV per σ²",
            "width",
            "TPV / σ²",
            [float(r["width"]) for r in rows],
            [
                ("train", [r["tpv_train_over_sigma2"] for r in rows]),
                ("test", [r["tpv_test_over_sigma2"] for r in rows]),
            ],
            log_x=True,
        ),
        details={"rows": rows, "wall_seconds": time.perf_counter() - started},
    )
