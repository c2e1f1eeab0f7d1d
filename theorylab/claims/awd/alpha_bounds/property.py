"""Counterexample searches of ``awd.alpha_bounds`` and its corrected companion."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from theorylab.claims.awd.alpha_bounds import ALPHA_BOUNDS, ALPHA_BOUNDS_CORRECTED, SLOPE_SLACK
from theorylab.claims.awd.alpha_bounds.exact import instance_verdict
from theorylab.claims.awd.common import stack_counterexample
from theorylab.claims.awd.paper import single_threaded
from theorylab.errors import ParameterError
from theorylab.falsify import PropertySearch
from theorylab.registry import CATALOG
from theorylab.solvers.awd import elementwise_alpha_bounds, fit_power_law
from theorylab.spec import Claim, Counterexample, Verdict

__all__ = [
    "elementwise_search",
    "fitted_exponent_search",
    "lower_bound_search",
    "per_sample_is_psd",
    "window_search",
]


@single_threaded
def _psd_probe_elementwise(stack: np.ndarray) -> Counterexample | None:
    verdict, details = instance_verdict(stack)
    if verdict is Verdict.REFUTED:
        return stack_counterexample(
            stack,
            "Eq. 19 violated on a PSD stack",
            actual=details,
        )
    return None


def _fitted(stack: np.ndarray) -> tuple[float, tuple[float, float]] | None:
    bounds = elementwise_alpha_bounds(stack)
    try:
        fit = fit_power_law(bounds.h_diag, bounds.c_diag, lambda_max=bounds.lambda_max)
    except ParameterError:
        return None  # fewer than two distinct positive H_ii: no exponent to fit
    return fit.alpha, fit.implied_bounds  # type: ignore[return-value]


def _psd_fitted(stack: np.ndarray) -> tuple[float, tuple[float, float]] | None:
    """The fitted exponent and window bounds of a PSD stack (``None``: not PSD or no fit)."""
    fitted = _fitted(stack)
    if fitted is None or not bool(per_sample_is_psd(stack)):
        return None
    return fitted


def _exponent_outside(
    stack: np.ndarray, window: tuple[float, float] | None
) -> tuple[float, float, float] | None:
    """``(alpha, low, high)`` when a PSD stack's fitted exponent lies outside ``window``.

    ``window=None`` means the stack's own sharp window bounds (Eq. 19); ``SLOPE_SLACK`` is
    allowed on both sides. ``None`` when inside, or when the stack is not PSD or has no fit.
    """
    fitted = _psd_fitted(stack)
    if fitted is None:
        return None
    alpha, implied = fitted
    low, high = window or implied
    if low - SLOPE_SLACK <= alpha <= high + SLOPE_SLACK:
        return None
    return alpha, low, high


@single_threaded
def _probe_fitted_exponent(stack: np.ndarray) -> Counterexample | None:
    outside = _exponent_outside(stack, (1.0, 2.0))
    if outside is None:
        return None
    alpha = outside[0]
    message = f"PSD stack with fitted alpha = {alpha:.4f}"
    return stack_counterexample(stack, message, claimed="[1, 2]", actual=alpha)


@single_threaded
def _probe_window_bounds(stack: np.ndarray) -> Counterexample | None:
    outside = _exponent_outside(stack, None)
    if outside is None:
        return None
    alpha, low, high = outside
    message = f"fitted alpha {alpha:.6f} outside [{low:.6f}, {high:.6f}]"
    return stack_counterexample(stack, message, claimed=[low, high], actual=alpha)


def per_sample_is_psd(stack: np.ndarray) -> bool:
    """Whether every slice is PSD (Theorem 5.1's assumption), within round-off."""
    return elementwise_alpha_bounds(stack).psd.all_psd


def _strategy(psd: bool | None) -> object:
    from theorylab.strategies import per_sample_hessian_stacks

    return lambda: per_sample_hessian_stacks(psd=psd)


def _stack_search(
    claim: Claim,
    name: str,
    description: str,
    probe: Callable[[np.ndarray], Counterexample | None],
    *,
    psd: bool | None = True,
) -> PropertySearch:
    """Register the search ``name`` of ``claim``: ``probe`` over integer stacks (``psd``)."""
    return CATALOG.add_search(
        claim,
        PropertySearch(name=name, description=description, strategy=_strategy(psd), probe=probe),
    )


elementwise_search = _stack_search(
    ALPHA_BOUNDS,
    "elementwise_bounds_on_psd_stacks",
    "hypothesis over PSD integer stacks n, p <= 4 of every rank: Eq. 19",
    _psd_probe_elementwise,
)

fitted_exponent_search = _stack_search(
    ALPHA_BOUNDS,
    "fitted_exponent_in_1_2",
    "hypothesis over PSD integer stacks: OLS exponent of C_ii on H_ii "
    "in [1, 2] (Eq. 20); shrinks to a minimal counterexample",
    _probe_fitted_exponent,
)

window_search = _stack_search(
    ALPHA_BOUNDS_CORRECTED,
    "fitted_exponent_within_window_bounds",
    "hypothesis over PSD integer stacks: OLS exponent within the sharp window bounds of Eq. 19",
    _probe_window_bounds,
)


@single_threaded
def _lower_bound_any_sign(stack: np.ndarray) -> Counterexample | None:
    bounds = elementwise_alpha_bounds(stack)
    if not bounds.lower_holds:
        return stack_counterexample(
            stack,
            "H_ii^2 <= C_ii violated for a symmetric stack",
            actual=float(np.min(bounds.lower_gap)),
        )
    return None


lower_bound_search = _stack_search(
    ALPHA_BOUNDS_CORRECTED,
    "lower_bound_without_psd",
    "hypothesis over symmetric integer stacks of any signature: "
    "H_ii^2 <= C_ii needs no PSD assumption",
    _lower_bound_any_sign,
    psd=None,
)
