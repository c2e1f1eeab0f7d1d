"""The five papers behind the catalogue: short key, number, title and source file.

Claims cite a paper by the file name of its text under ``shared/papers`` (e.g.
``002_221c0ed419511743.txt``), which users do not have. This table, stored in the package,
turns that file name into something a reader can recognise: ``seos (002): High dimensional
analysis reveals ...``. The titles are the papers' own (first line of each text file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from theorylab.spec import Source

__all__ = ["PAPERS", "Paper", "citation", "paper_for", "paper_label"]


@dataclass(frozen=True)
class Paper:
    """One paper: short key (as in claim ids), number, title and text file name."""

    key: str
    number: str
    title: str
    file: str


PAPERS: tuple[Paper, ...] = (
    Paper(
        "tpv",
        "000",
        "TPV: Parameter Perturbations Through the Lens of Test Prediction Variance",
        "000_f0c853046a0e9bbe.txt",
    ),
    Paper(
        "awd",
        "001",
        "On the Superlinear Relationship between SGD Noise Covariance and Loss Landscape "
        "Curvature",
        "001_6b3d80172d60d67e.txt",
    ),
    Paper(
        "seos",
        "002",
        "High dimensional analysis reveals conservative sharpening and a stochastic edge of "
        "stability",
        "002_221c0ed419511743.txt",
    ),
    Paper(
        "subspace",
        "003",
        "Curvature-Aligned Probing for Local Loss-Landscape Stabilization",
        "003_23fb049d26625d67.txt",
    ),
    Paper("softrank", "004", "Flatness After All?", "004_9861814efeb9746c.txt"),
)
"""The papers, in file order."""


def paper_for(reference: str) -> Paper | None:
    """The paper a file name, number (``"002"``) or key (``"seos"``) refers to, else ``None``.

    Examples
    --------
    >>> paper_for("002_221c0ed419511743.txt").key
    'seos'
    >>> paper_for("tpv").number
    '000'
    """
    for paper in PAPERS:
        if reference in (paper.key, paper.number, paper.file) or reference.startswith(
            f"{paper.number}_"
        ):
            return paper
    return None


def paper_label(reference: str) -> str:
    """``"key (number): title"`` for a known paper; the reference itself otherwise.

    Examples
    --------
    >>> paper_label("004_9861814efeb9746c.txt")
    'softrank (004): Flatness After All?'
    """
    paper = paper_for(reference)
    return reference if paper is None else f"{paper.key} ({paper.number}): {paper.title}"


def citation(paper: str, title: str) -> Callable[..., Source]:
    """The one way a claim module builds its :class:`~theorylab.spec.Source`.

    ``cite = citation(PAPER_000, PAPER_000_TITLE)`` in a paper's ``paper.py``; then
    ``cite("Remark 3.4; App. E", "12")`` is the source at that location with equation 12.
    The location names its theorems, sections and figures in the paper's words
    (``Theorem 2.1``, ``Prop. 5.3``, ``App. A.4``, ``Fig. 3-5``, ``Eq. 13-16``), which
    :mod:`theorylab.references` turns into the equation index of ``theorylab list``.

    >>> cite = citation("000_f0c853046a0e9bbe.txt", "TPV")
    >>> cite("Remark 3.4; App. E", "12").equations
    ['12']
    """

    def cite(location: str, *equations: str) -> Source:
        return Source(paper=paper, title=title, location=location, equations=list(equations))

    return cite
