"""The NTK settings of App. A.4 and helpers shared by ``seos.*`` claims.

Shared pieces: the NTK constructions, the typed SGD instance every probe reads, the search
registration over :func:`~theorylab.strategies.sgd_noise_problems`, and the two ways a check
turns its numbers into a :class:`~theorylab.spec.Finding` (a residual against a bound, or a
stated outcome with its counterexample).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np

from theorylab.errors import ParameterError
from theorylab.falsify import PropertySearch
from theorylab.registry import CATALOG
from theorylab.spec import Assumption, Claim, Convention, Counterexample, Finding, Verdict

__all__ = [
    "CONVENTION",
    "EXACT_RTOL",
    "SAMPLING",
    "SETTINGS",
    "SGDInstance",
    "every_batch",
    "exact_finding",
    "hadamard_ntk",
    "ntk_setting",
    "setting_ntks",
    "sgd_problem_strategy",
    "sgd_search",
    "sgd_search_pair",
    "small_rationals",
]

EXACT_RTOL = 1e-12
"""Tolerance of the exact minibatch identities (exact rationals; float64 enumeration)."""
SAMPLING = Assumption(
    name="batch sampling",
    statement=r"$P_t$ diagonal with exactly $B$ ones, uniform without replacement, i.i.d. in $t$",
)
CONVENTION = Convention(
    name="NTK", statement=r"$\hat\Theta = JJ^\top/D$, $\beta = B/D$, $\tilde\beta = (B-1)/(D-1)$"
)

SETTINGS = ("flat", "dispersed", "localized")
"""The three NTK settings of App. A.4, in the order every sweep visits them."""


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


def setting_ntks(
    rng: np.random.Generator, sizes: tuple[int, ...], extra: int
) -> Iterator[tuple[str, int, np.ndarray]]:
    """``(kind, D, ntk)`` for every setting, then every ``D``, with ``P = D + extra``.

    Lazy: each NTK is drawn from ``rng`` only when the loop reaches it.
    """
    for kind in SETTINGS:
        for size in sizes:
            yield kind, size, ntk_setting(kind, size, size + extra, rng)


def every_batch(sizes: Iterable[int]) -> Iterator[tuple[int, int]]:
    """``(D, B)`` for every ``D`` in ``sizes``, then every batch size ``1 <= B <= D``."""
    for size in sizes:
        for batch in range(1, size + 1):
            yield size, batch


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


def small_rationals(values: object, *, denominator: int = 100) -> list:
    """A float64 array as the small rationals it rounds, each stored as its nearest float.

    A hand-minimal counterexample stores exact numbers (the errata re-check them in exact
    arithmetic); each entry must lie within ``eps * size * max(1, max|value|)`` of a rational
    with denominator at most ``denominator``, else :class:`~theorylab.errors.ParameterError`.
    """
    array = np.asarray(values, dtype=float)
    tolerance = np.finfo(float).eps * array.size * max(1.0, float(np.max(np.abs(array))))
    exact = np.vectorize(lambda x: float(Fraction(x).limit_denominator(denominator)))(array)
    if np.max(np.abs(exact - array)) > tolerance:
        raise ParameterError("the values are not small rationals to float64 rounding")
    return exact.tolist()


@dataclass(frozen=True)
class SGDInstance:
    """One SGD problem of paper 002: NTK, learning rate ``eta`` and batch size ``B``."""

    ntk: np.ndarray
    eta: float
    batch: int

    @classmethod
    def of(cls, instance: Mapping[str, Any] | SGDInstance) -> SGDInstance:
        """Validate a strategy's ``{"ntk", "learning_rate", "batch_size"}`` dict once."""
        if isinstance(instance, SGDInstance):
            return instance
        return cls(
            ntk=np.asarray(instance["ntk"]),
            eta=float(instance["learning_rate"]),
            batch=int(instance["batch_size"]),
        )

    def record(self) -> dict[str, object]:
        """The instance as a counterexample stores it: ``{"ntk", "eta", "B"}``."""
        return {"ntk": self.ntk.tolist(), "eta": self.eta, "B": self.batch}


def sgd_problem_strategy() -> object:
    """The hypothesis strategy every ``seos`` search draws from (imported lazily)."""
    from theorylab.strategies import sgd_noise_problems

    return sgd_noise_problems()


def sgd_search(
    claim: Claim,
    name: str,
    description: str,
    probe: Callable[[SGDInstance], Counterexample | None],
) -> PropertySearch:
    """Register a search over SGD problems whose probe reads a validated :class:`SGDInstance`."""
    return CATALOG.add_search(
        claim,
        PropertySearch(
            name=name,
            description=description,
            strategy=sgd_problem_strategy,
            probe=lambda instance: probe(SGDInstance.of(instance)),
        ),
    )


def sgd_search_pair(
    printed: Claim,
    corrected: Claim,
    probe: Callable[..., Counterexample | None],
    *,
    names: tuple[str, str],
    descriptions: tuple[str, str],
) -> tuple[PropertySearch, PropertySearch]:
    """Register ``probe(problem, corrected=False)`` on ``printed``, then ``corrected=True``.

    One probe reads both statements of a claim; ``names`` and ``descriptions`` are the two
    searches' (printed first), registered in that order.
    """
    return (
        sgd_search(printed, names[0], descriptions[0], partial(probe, corrected=False)),
        sgd_search(corrected, names[1], descriptions[1], partial(probe, corrected=True)),
    )


def exact_finding(
    worst: float,
    bound: float,
    summary: str,
    *,
    instances: int,
    worst_case: dict[str, object] | None = None,
    **extra: Any,
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
        **extra,
    )

