"""Paper 002's identity, the NTK settings of App. A.4, and helpers shared by ``seos.*`` claims."""

from __future__ import annotations

import numpy as np

from theorylab.spec import Counterexample, Finding, Source, Verdict

__all__ = [
    "PAPER_002",
    "PAPER_002_TITLE",
    "exact_finding",
    "hadamard_ntk",
    "ntk_setting",
    "sgd_problem_strategy",
    "source",
]

PAPER_002 = "002_221c0ed419511743.txt"
PAPER_002_TITLE = (
    "High dimensional analysis reveals conservative sharpening and a stochastic edge of stability"
)


def source(location: str, equations: list[str]) -> Source:
    """The :class:`Source` of a paper-002 claim."""
    return Source(paper=PAPER_002, title=PAPER_002_TITLE, location=location, equations=equations)


def ntk_setting(kind: str, size: int, parameters: int, rng: np.random.Generator) -> np.ndarray:
    r"""The three NTKs of App. A.4 (and Fig. 1, 7, 8), :math:`\hat\Theta = JJ^\top/D` convention.

    ``flat``: i.i.d. Gaussian ``J`` (``D x P``); ``dispersed``: :math:`\lambda_\alpha =
    1/(\alpha^2+1)` with Haar eigenvectors; ``localized``: :math:`\mathrm{diag}(|s|) +
    J_0J_0^\top/D`, :math:`s \sim \mathcal{N}(0, 0.1^2)`.
    """
    if kind == "flat":
        jacobian = rng.standard_normal((size, parameters))
        ntk = jacobian @ jacobian.T / size
    elif kind == "dispersed":
        frame, upper = np.linalg.qr(rng.standard_normal((size, size)))
        frame = frame * np.sign(np.diag(upper))[None, :]
        eigenvalues = 1.0 / (np.arange(1, size + 1) ** 2 + 1.0)
        ntk = frame @ np.diag(eigenvalues) @ frame.T
    elif kind == "localized":
        jacobian = rng.standard_normal((size, parameters))
        ntk = np.diag(np.abs(0.1 * rng.standard_normal(size))) + jacobian @ jacobian.T / size
    else:
        raise ValueError(f"unknown setting {kind!r}")
    return (ntk + ntk.T) / 2


def hadamard_ntk(eigenvalues: list[float]) -> np.ndarray:
    r""":math:`H\,\mathrm{diag}(\lambda)H^\top`, ``H`` the normalised Sylvester–Hadamard frame.

    Every :math:`V_{\alpha\beta}^2 = 1/D`, so :math:`C = 11^\top/D` exactly: the
    high-dimensional assumption of Sec. 2.4 holds without error at finite ``D``.
    """
    frame = np.ones((1, 1))
    while frame.shape[0] < len(eigenvalues):
        frame = np.block([[frame, frame], [frame, -frame]])
    if frame.shape[0] != len(eigenvalues):
        raise ValueError("the number of eigenvalues must be a power of two")
    frame = frame / np.sqrt(len(eigenvalues))
    return frame @ np.diag(eigenvalues) @ frame.T


def exact_finding(
    worst: float,
    bound: float,
    summary: str,
    *,
    instances: int,
    worst_case: dict[str, object] | None = None,
    **extra: object,
) -> Finding:
    """HOLDS when ``worst <= bound`` else REFUTED with ``worst_case`` as counterexample."""
    holds = bool(worst <= bound)
    text = f"{summary}: max residual {worst:.2e} ({'within' if holds else 'beyond'} {bound:.0e})"
    return Finding(
        verdict=Verdict.HOLDS if holds else Verdict.REFUTED,
        summary=text,
        residual=worst,
        bound=bound,
        instances=instances,
        counterexample=None if holds else Counterexample(instance=worst_case or {}, message=text),
        **extra,  # type: ignore[arg-type]
    )


def sgd_problem_strategy() -> object:
    """The hypothesis strategy every ``seos`` search draws from (imported lazily)."""
    from theorylab.strategies import sgd_noise_problems

    return sgd_noise_problems()
