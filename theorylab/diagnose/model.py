r"""Typed results of :func:`theorylab.diagnose`: quantities, assumption verdicts, a diagnosis.

Every number a diagnosis reports is a :class:`Quantity` that carries its own uncertainty
(``stderr`` for sampled estimates, ``residuals`` for eigenpairs, ``0`` for exact ones) and its
cost (wall ``seconds`` and operator ``matvecs``). Every assumption a theorem needs gets an
:class:`AssumptionVerdict` — ``holds``, ``fails`` or ``undecided`` — whose ``evidence`` says
which computation decided it and whose ``numbers`` hold the figures it compared. A paper whose
quantities this version does not compute says so in :attr:`PaperDiagnosis.not_computed`
instead of being left out. Importing this module never imports torch.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from theorylab.spec import Figure

__all__ = ["SKIP_NAMES", "AssumptionStatus", "AssumptionVerdict", "Diagnosis", "PaperDiagnosis",
           "Quantity"]

SKIP_NAMES = ("hessian_trace", "spectral_density", "000", "001", "002", "003", "004")
"""Parts ``diagnose(skip=...)`` / ``--skip`` may leave out: two curvature quantities that
nothing else depends on, or a whole paper."""


class AssumptionStatus(str, Enum):
    """Whether a theorem's assumption holds at the user's point."""

    HOLDS = "holds"
    FAILS = "fails"
    UNDECIDED = "undecided"


class Quantity(BaseModel):
    r"""One computed quantity with its uncertainty and cost.

    Attributes
    ----------
    name, symbol
        Identifier (``"hessian_top_eigenvalues"``) and a short symbol (``"λ_k(H)"``).
    value
        The scalar value (``None`` for an array quantity or one not computed).
    values
        The array value (eigenvalues, a curve), ``None`` for scalars.
    stderr
        Standard error (``0.0`` for exact computations, which carry round-off only).
    residuals
        :math:`\|Av-\lambda v\|` per eigenpair, or the residual of a root / eigen-solve.
    grid
        Abscissae of a curve in ``values`` (e.g. learning rates), else ``None``.
    seconds, matvecs
        Wall time and operator products spent (0 where products are not the cost unit).
    method
        How it was computed (``"lanczos"``, ``"exact (per-sample Jacobians)"``, ...).
    reference
        Paper and equation it implements.
    note
        What the number means, its convention, or why it was not computed.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    symbol: str = ""
    value: float | None = None
    values: list[float] | None = None
    stderr: float | None = None
    residuals: list[float] | None = None
    grid: list[float] | None = None
    seconds: float = 0.0
    matvecs: int = 0
    method: str = ""
    reference: str = ""
    note: str = ""

    @property
    def computed(self) -> bool:
        """Whether the quantity holds a value (scalar or array)."""
        return self.value is not None or self.values is not None


class AssumptionVerdict(BaseModel):
    """A theorem's assumption at the user's point: holds, fails or undecided, with evidence."""

    model_config = ConfigDict(frozen=True)

    name: str
    paper: str
    theorem: str
    status: AssumptionStatus
    evidence: str
    numbers: dict[str, float] = Field(default_factory=dict)


class PaperDiagnosis(BaseModel):
    """What one paper's theorems say about the network: quantities and assumption verdicts."""

    model_config = ConfigDict(frozen=True)

    paper: str
    title: str
    quantities: list[Quantity] = Field(default_factory=list)
    assumptions: list[AssumptionVerdict] = Field(default_factory=list)
    not_computed: list[str] = Field(default_factory=list)
    """Quantities this version does not compute for the paper, each with the reason."""
    figures: list[Figure] = Field(default_factory=list)

    def quantity(self, name: str) -> Quantity:
        """Return the quantity called ``name`` (KeyError if absent)."""
        for quantity in self.quantities:
            if quantity.name == name:
                return quantity
        raise KeyError(f"{self.paper} has no quantity {name!r}")

    def assumption(self, name: str) -> AssumptionVerdict:
        """Return the assumption verdict called ``name`` (KeyError if absent)."""
        for verdict in self.assumptions:
            if verdict.name == name:
                return verdict
        raise KeyError(f"{self.paper} has no assumption {name!r}")


class Diagnosis(BaseModel):
    """What the five papers' theorems say about one network at one point.

    ``setting`` records the problem (parameters ``p``, samples ``n``, outputs ``K``, loss,
    learning rate, batch size, dtype, device); ``curvature`` the shared curvature quantities;
    ``papers`` one :class:`PaperDiagnosis` per paper, in order 000-004; ``figures`` the
    curvature figures (each paper carries its own).
    """

    model_config = ConfigDict(frozen=True)

    setting: dict[str, float | int | str]
    curvature: list[Quantity]
    figures: list[Figure] = Field(default_factory=list)
    papers: list[PaperDiagnosis]
    seconds: float

    def paper(self, label: str) -> PaperDiagnosis:
        """Return the diagnosis of paper ``label`` (``"000"`` .. ``"004"``)."""
        for paper in self.papers:
            if paper.paper == label:
                return paper
        raise KeyError(f"no paper {label!r} in the diagnosis")

    def curvature_quantity(self, name: str) -> Quantity:
        """Return the curvature quantity called ``name`` (KeyError if absent)."""
        for quantity in self.curvature:
            if quantity.name == name:
                return quantity
        raise KeyError(f"no curvature quantity {name!r}")

    def assumptions(self) -> list[AssumptionVerdict]:
        """Every assumption verdict, paper by paper."""
        return [verdict for paper in self.papers for verdict in paper.assumptions]
