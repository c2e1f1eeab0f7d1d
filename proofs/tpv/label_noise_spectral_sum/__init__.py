r"""Symbolic check of the label-noise TPV theorem (paper 000, Theorem 3.2, proof in App. C.1).

Paper 000 (``000_f0c853046a0e9bbe.txt``) linearises a network around a clean fit
:math:`w^*` and perturbs the training labels by zero-mean isotropic noise
:math:`\varepsilon` (:math:`\mathbb{E}[\varepsilon\varepsilon^\top] = \sigma^2 I_n`). The
min-norm stationary point of :math:`L(\delta w) = \tfrac12\|J\delta w - \varepsilon\|^2`
(Eq. 26-27) changes test predictions by a variance

.. math:: \mathbb{E}_{x,\varepsilon}[\delta f(x)^2]
          = \sigma^2 \operatorname{Tr}(S^{-2} B) = \sigma^2 \sum_{i=1}^r B_{ii} / s_i^2,
          \qquad B = V_r^\top H_{\text{eff}} V_r \quad \text{(Eq. 37-39)}.

:func:`label_noise_derivation` rebuilds the proof of App. C.1 step by step on a symbolic
instance and checks every equality exactly; App. C.2 (the train TPV :math:`\sigma^2 r/n`
and the ridge variant of regime (1)) is checked on the same instance.

The symbolic instance is built by
:func:`~theorylab.proofs.tpv.label_noise_setup.label_noise_setup`.
"""

from __future__ import annotations

from theorylab.proofs.tpv.label_noise_setup import ExactInstance, label_noise_setup
from theorylab.proofs.tpv.label_noise_spectral_sum.ridge import ridge_steps
from theorylab.proofs.tpv.label_noise_spectral_sum.solution import solution_steps
from theorylab.proofs.tpv.label_noise_spectral_sum.variance import prediction_variance_steps
from theorylab.spec import DerivationStep

__all__ = ["label_noise_derivation"]


def label_noise_derivation(
    train_size: int = 2, parameter_count: int = 3, rank: int = 2, test_size: int = 2
) -> list[DerivationStep]:
    r"""Check the proof of paper 000, Theorem 3.2 (App. C.1, Eq. 26-39) step by step.

    On the symbolic instance of :func:`label_noise_setup` (:math:`J = U_r S V_r^\top`,
    noise :math:`\varepsilon`, test gradients :math:`g(x_1), \dots, g(x_m)`), the steps
    are, in the paper's order:

    * Eq. 29: :math:`U_r^\top U_r = I`, :math:`[V_r\ V_\perp]` orthogonal;
    * Eq. 27-28: :math:`\nabla L = J^\top(J\delta w - \varepsilon)` (by differentiating
      :math:`L`), the normal equations;
    * Eq. 30: :math:`J^\top J = V_r S^2 V_r^\top`, :math:`J^\top\varepsilon = V_r S
      U_r^\top\varepsilon`; in coordinates :math:`\delta w = V_r\alpha + V_\perp\beta` the
      normal equations read :math:`S^2\alpha = S U_r^\top\varepsilon` and leave
      :math:`\beta` free; :math:`J V_\perp = 0` and :math:`U_r^\top J V_r = S` (invertible),
      so :math:`\operatorname{rank} J = r` and :math:`\ker J = \operatorname{span} V_\perp`;
    * Eq. 31: :math:`\delta w_{\min} = V_r S^{-1} U_r^\top\varepsilon` solves Eq. 28, is
      orthogonal to :math:`\ker J`, and :math:`\|\delta w_{\min} + V_\perp t\|^2 =
      \|\delta w_{\min}\|^2 + \|V_\perp t\|^2`, so it is the min-norm solution; it is
      :math:`J^+\varepsilon` (four Penrose conditions; also :math:`J^\top(JJ^\top)^{-1}`
      when :math:`r = n`);
    * Eq. 34-35: :math:`g = V_r b + V_\perp c` and :math:`\delta f(x) =
      g^\top\delta w_{\min} = b^\top S^{-1} U_r^\top\varepsilon`;
    * Eq. 36: :math:`\mathbb{E}_\varepsilon[\delta f] = 0`,
      :math:`\mathbb{E}_\varepsilon[\delta f(x)^2] = \sigma^2 b^\top S^{-2} b`;
    * Eq. 37-39: :math:`B = \mathbb{E}_x[bb^\top] = V_r^\top H_{\text{eff}} V_r` and
      :math:`\mathbb{E}_{x,\varepsilon}[\delta f^2] = \sigma^2\operatorname{Tr}(S^{-2}B) =
      \sigma^2\sum_i B_{ii}/s_i^2`;
    * Eq. 1, 6 (template): :math:`C = \mathbb{E}[\delta w\,\delta w^\top] = \sigma^2 V_r
      S^{-2} V_r^\top` and :math:`\operatorname{Tr}(H_{\text{eff}} C)` is the test TPV;
    * App. C.2: :math:`J\delta w_{\min} = U_r U_r^\top\varepsilon` and the train TPV
      :math:`\tfrac1n\mathbb{E}\|J\delta w_{\min}\|^2 = \sigma^2 r/n`; ridge regime (1):
      :math:`\delta w_\lambda = (J^\top J + \lambda I)^{-1}J^\top\varepsilon` (unique, as
      :math:`J^\top J + \lambda I` is diagonalised to :math:`\operatorname{diag}(s_i^2 +
      \lambda, \lambda)`) has test TPV :math:`\sigma^2\sum_i B_{ii}
      s_i^2/(s_i^2+\lambda)^2` and train TPV :math:`\sigma^2\tfrac1n\sum_i
      (s_i^2/(s_i^2+\lambda))^2`.

    Parameters
    ----------
    train_size, parameter_count, rank, test_size : int
        :math:`n, p, r, m`; see :func:`label_noise_setup`. Rank-deficient instances
        (:math:`r < n`) are supported. The default (2, 3, 2, 2) runs in about 1 s.

    Returns
    -------
    list of DerivationStep
        The theorem is PROVED on this instance iff every step ``holds``.

    Raises
    ------
    ParameterError
        For invalid sizes, as :func:`label_noise_setup`.

    Examples
    --------
    >>> steps = label_noise_derivation()
    >>> all(step.holds for step in steps), [s.equation for s in steps if s.name == "tpv_trace"]
    (True, ['Eq. 38'])
    """
    setup = label_noise_setup(train_size, parameter_count, rank, test_size)
    exact = ExactInstance.of(setup)
    variance_steps, B = prediction_variance_steps(setup, exact)
    return solution_steps(setup, exact) + variance_steps + ridge_steps(setup, exact, B)
