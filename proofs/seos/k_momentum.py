r"""Symbolic check of paper 002, App. A.5 (noise kernel norm with momentum, Eq. 56-76, Eq. 18).

Per mode, heavy-ball SGD in the high-dimensional limit has the first-moment recursion
:math:`y_{t+1} = \Omega y_t - \mu y_{t-1}`, :math:`\Omega = 1-\beta\eta\lambda+\mu`; a unit
noise kick at :math:`t = 0` gives :math:`y_t = (r_+^{t+1}-r_-^{t+1})/(r_+-r_-)` and the
noise gain :math:`\sum_t y_t^2`. The steps below derive each printed line from the
previous one (or from the recursion) and compare with the paper's right-hand side.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["momentum_steps"]

MU, X, ALPHA = sympy.symbols("mu x alpha", positive=True)  # x = beta * eta * lambda
OMEGA = 1 - X + MU


def _roots() -> tuple[sympy.Expr, sympy.Expr]:
    root = sympy.sqrt(OMEGA**2 - 4 * MU)
    return (OMEGA + root) / 2, (OMEGA - root) / 2


def momentum_steps(horizon: int = 4) -> list[DerivationStep]:
    """Each algebra step of App. A.5 from Eq. 56 to Eq. 76, and Eq. 18."""
    nu_steps, pair_x = _nu_sum_steps()
    gain_steps, eq66 = _gain_steps(pair_x)
    return (
        _root_steps()
        + _impulse_steps(horizon)
        + nu_steps
        + gain_steps
        + _alpha_steps(pair_x, eq66)
        + _bookkeeping_steps()
    )


def _root_steps() -> list[DerivationStep]:
    """Eq. 57, 61: the nu's are the squared roots of the recursion."""
    plus, minus = _roots()
    nu_plus = (-2 * MU + OMEGA**2 + sympy.sqrt(OMEGA**2 * (OMEGA**2 - 4 * MU))) / 2
    nu_minus = (-2 * MU + OMEGA**2 - sympy.sqrt(OMEGA**2 * (OMEGA**2 - 4 * MU))) / 2
    return [
        equality_step(
            "nu_+ + nu_- = r_+^2 + r_-^2",
            "Eq. 57",
            r"\nu_++\nu_- = r_+^2+r_-^2",
            nu_plus + nu_minus,
            sympy.expand(plus**2 + minus**2),
        ),
        equality_step(
            "nu_+ nu_- = (r_+ r_-)^2 = mu^2",
            "Eq. 57, 61",
            r"\nu_+\nu_- = \mu^2",
            sympy.expand(nu_plus * nu_minus),
            MU**2,
        ),
    ]


def _impulse_steps(horizon: int) -> list[DerivationStep]:
    """Impulse response of the recursion vs the bracket of Eq. 56 (as printed: + mu^{t+1})."""
    plus, minus = _roots()
    response = [sympy.Integer(1), OMEGA]
    for _ in range(horizon):
        response.append(sympy.expand(OMEGA * response[-1] - MU * response[-2]))
    printed, derived = [], []
    for t in range(horizon):
        # nu_+^{t+1} + nu_-^{t+1} = r_+^{2(t+1)} + r_-^{2(t+1)} = p_{t+1}(Omega, mu) (Newton sums)
        power_sum = sympy.expand(plus ** (2 * t + 2) + minus ** (2 * t + 2))
        printed.append(2 / (OMEGA**2 - 4 * MU) * (MU ** (t + 1) + power_sum / 2))
        derived.append(2 / (OMEGA**2 - 4 * MU) * (-(MU ** (t + 1)) + power_sum / 2))
    squares = sympy.Matrix([response[t] ** 2 for t in range(horizon)])
    return [
        equality_step(
            f"Eq. 56 summand = y_t^2 (t < {horizon}), as printed (+mu^(t+1))",
            "Eq. 56",
            r"y_t^2 = \frac{2}{\Omega^2-4\mu}(\mu^{t+1}+\tfrac12\nu_+^{t+1}"
            r"+\tfrac12\nu_-^{t+1})",
            squares,
            sympy.Matrix(printed),
            method="cancel",
        ),
        equality_step(
            f"Eq. 56 summand = y_t^2 (t < {horizon}), with -mu^(t+1)",
            "Eq. 56 (corrected)",
            r"y_t^2 = \frac{2}{\Omega^2-4\mu}(-\mu^{t+1}+"
            r"\tfrac12\nu_+^{t+1}+\tfrac12\nu_-^{t+1})",
            squares,
            sympy.Matrix(derived),
            method="cancel",
        ),
    ]


def _nu_sum_steps() -> tuple[list[DerivationStep], sympy.Expr]:
    """Eq. 59-65: the sum over the two nu's in closed form, then in x; returns the last form."""
    a, b = sympy.symbols("a b", real=True)
    pair = (a + b) / (2 - (a + b)) + (a - b) / (2 - (a - b))
    eq59 = ((a - b) * (2 - (a + b)) + (a + b) * (2 - (a - b))) / (4 - 4 * a + (a**2 - b**2))
    eq60 = (4 * a - 2 * (a**2 - b**2)) / (4 - 4 * a + (a**2 - b**2))
    steps = [
        equality_step(
            "sum over nu: common denominator", "Eq. 59", r"\ldots", pair, eq59, method="cancel"
        ),
        equality_step("numerator simplified", "Eq. 60", r"\ldots", eq59, eq60, method="cancel"),
    ]
    omega_sq = sympy.Symbol("Omega2", positive=True)
    a_value, ab_value = omega_sq - 2 * MU, 4 * MU**2
    eq62 = (4 * a_value - 2 * ab_value) / (4 - 4 * a_value + ab_value)
    eq62b = ((omega_sq - 2 * MU) - 2 * MU**2) / (1 - (omega_sq - 2 * MU) + MU**2)
    eq63 = (omega_sq - 2 * MU - 2 * MU**2) / (-omega_sq + (1 + MU) ** 2)
    pair_x = ((1 - X) ** 2 - 2 * MU * X - MU**2) / (2 * (1 + MU) * X - X**2)
    steps += [
        equality_step(
            "a^2 - b^2 = 4 mu^2",
            "Eq. 61",
            r"a^2-b^2 = 4\mu^2",
            sympy.expand((-2 * MU + OMEGA**2) ** 2 - OMEGA**2 * (OMEGA**2 - 4 * MU)),
            4 * MU**2,
        ),
        equality_step(
            "substitute a, a^2-b^2",
            "Eq. 62",
            r"\ldots",
            eq60.subs({a: a_value, b: sympy.sqrt(a_value**2 - ab_value)}),
            eq62,
            method="cancel",
        ),
        equality_step("divide by 4", "Eq. 62", r"\ldots", eq62, eq62b, method="cancel"),
        equality_step(
            "denominator (1+mu)^2 - Omega^2", "Eq. 63", r"\ldots", eq62b, eq63, method="cancel"
        ),
        equality_step(
            "substitute Omega = 1 - x + mu",
            "Eq. 64",
            r"\ldots",
            eq63.subs(omega_sq, OMEGA**2),
            pair_x,
            method="cancel",
        ),
        equality_step(
            "Omega^2 - 4 mu",
            "Eq. 65",
            r"\ldots",
            sympy.expand(OMEGA**2 - 4 * MU),
            sympy.expand((1 - MU) ** 2 - 2 * (1 + MU) * X + X**2),
        ),
    ]
    return steps, pair_x


def _gain_steps(pair_x: sympy.Expr) -> tuple[list[DerivationStep], sympy.Expr]:
    """Eq. 58 -> 66 (as printed and corrected), Eq. 66 in lowest terms, the mu = 0 reduction."""
    # Per-mode K summand (without beta(1-beta)/D and eta^2 lambda^2): from Eq. 58 as printed.
    denominator = (1 - MU) ** 2 - 2 * (1 + MU) * X + X**2
    eq58 = 2 / denominator * (MU / (1 - MU) + pair_x / 2)
    eq58_corrected = 2 / denominator * (-MU / (1 - MU) + pair_x / 2)
    eq66 = sympy.Rational(1, 2) * 2 / denominator * (-2 * MU / (1 - MU) + pair_x)
    steps = [
        equality_step(
            "Eq. 66 from Eq. 58 as printed", "Eq. 58 -> 66", r"\ldots", eq58, eq66, method="cancel"
        ),
        equality_step(
            "Eq. 66 from the corrected Eq. 58 (-mu/(1-mu))",
            "Eq. 66",
            r"\ldots",
            eq58_corrected,
            eq66,
            method="cancel",
        ),
    ]
    steps.append(
        equality_step(
            "Eq. 66 per mode in lowest terms",
            "Eq. 66",
            r"G = \frac{1+\mu}{(1-\mu)x(2(1+\mu)-x)}",
            eq66,
            (1 + MU) / ((1 - MU) * X * (2 * (1 + MU) - X)),
            method="cancel",
        )
    )
    eq68 = 1 / (X * (2 - X))  # K summand at mu = 0 in units of eta^2 lambda^2: (1/(x(2-x)))
    steps.append(
        equality_step(
            "mu = 0 reduction",
            "Eq. 67-68",
            r"\mathcal{K}_{\mu=0} = (1-\beta)\frac1D\sum\frac{\eta\lambda}"
            r"{2-\beta\eta\lambda}",
            eq66.subs(MU, 0),
            eq68,
            method="cancel",
        )
    )
    return steps, eq66


def _alpha_steps(pair_x: sympy.Expr, eq66: sympy.Expr) -> list[DerivationStep]:
    """Eq. 69-72 with mu = 1 - alpha, and the leading order for x << alpha^2 << 1."""
    # Eq. 69-71 with mu = 1 - alpha.
    eq70 = (-4 * X + X**2 + 2 * ALPHA * (1 + X) - ALPHA**2) / (2 * (2 - ALPHA) * X - X**2)
    eq71 = 1 / (-2 * X + 2 * ALPHA * X + ALPHA**2 + X**2) * (-2 * (1 - ALPHA) / ALPHA + eq70)
    eq71_derived = eq66.subs(MU, 1 - ALPHA)
    steps = [
        equality_step(
            "mu = 1 - alpha in the nu sum",
            "Eq. 69-70",
            r"\ldots",
            pair_x.subs(MU, 1 - ALPHA),
            eq70,
            method="cancel",
        ),
        equality_step(
            "Eq. 71 from Eq. 66 at mu = 1 - alpha",
            "Eq. 71",
            r"\ldots",
            eq71_derived,
            eq71,
            method="cancel",
        ),
    ]
    # Eq. 72: leading order for x << alpha^2 << 1 (x = k eps^3, alpha = eps).
    eps, k = sympy.symbols("epsilon k", positive=True)
    eq72 = _eq72()
    scaling = {X: k * eps**3, ALPHA: eps}
    ratio = sympy.limit(sympy.cancel((eq71_derived / eq72).subs(scaling)), eps, 0)
    steps.append(
        equality_step(
            "leading order alpha << 1, x << alpha^2 (from derived Eq. 71)",
            "Eq. 72",
            r"\ldots",
            ratio,
            sympy.Integer(1),
        )
    )
    return steps


def _eq72() -> sympy.Expr:
    """Eq. 72's leading order of the per-mode summand."""
    return 1 / ALPHA**2 * (-2 / ALPHA + ALPHA / (2 * X))


def _bookkeeping_steps() -> list[DerivationStep]:
    """Eq. 73-76 and Eq. 18: per-sample bookkeeping (beta(1-beta)/D prefactor, eta0 = eta B)."""
    eps = sympy.Symbol("epsilon", positive=True)
    eq72 = _eq72()
    beta, size, eta0, lam = sympy.symbols("beta D eta_0 lambda_Theta", positive=True)
    batch = beta * size
    eta_mom, lam_gram = eta0 / batch, size * lam  # eta = eta_0 / B, lambda_JJ = D lambda_Theta
    x_value = beta * eta_mom * lam_gram
    per_mode_73 = beta * (1 - beta) / size * (eta_mom**2 * lam_gram**2 * eq72.subs(X, x_value))
    per_mode_74 = (1 / batch - 1 / size) * (
        eta0 * lam / (2 * ALPHA) - 2 * eta0**2 * lam**2 / ALPHA**3
    )
    eq76 = (1 / batch - 1 / size) * eta0 * lam / (2 * ALPHA)
    eq18 = eta0 / (2 * ALPHA * batch) * lam
    return [
        equality_step(
            "conversion lambda -> D lambda, eta -> eta_0 / B",
            "Eq. 73-74",
            r"\ldots",
            per_mode_73,
            per_mode_74,
            method="cancel",
        ),
        equality_step(
            "drop the alpha^-3 term",
            "Eq. 75-76",
            r"\ldots",
            sympy.limit((per_mode_74 / eq76).subs(eta0, eps * ALPHA**3), eps, 0),
            sympy.Integer(1),
        ),
        equality_step(
            "Eq. 18 equals Eq. 76",
            "Eq. 18",
            r"\frac{\eta}{2\alpha B}\mathrm{tr}\hat\Theta = \frac12(\frac1B-\frac1D)"
            r"\sum\frac{\eta_0}{\alpha}\lambda",
            eq18,
            eq76,
            method="cancel",
        ),
    ]
