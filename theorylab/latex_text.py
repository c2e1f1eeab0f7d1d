r"""A small LaTeX-to-Unicode rendering of claim statements for the terminal.

``theorylab show`` prints statements, assumptions and conventions that are written in LaTeX
(``\|A\|_{op}<1 \wedge \mathcal{K}<1``). A terminal cannot typeset them, so this module
rewrites the common macros into plain Unicode (``‖A‖_op<1 ∧ 𝒦<1``): Greek letters,
relations and operators, ``\frac``/``\sqrt``, accents, blackboard and calligraphic
capitals, and sub/superscripts (as Unicode sub/superscript characters when every character
has one, else ``_(...)``/``^(...)``). Unknown macros keep their name without the backslash.
It is a reading aid only: ``theorylab show --json`` keeps the raw LaTeX.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["latex_to_text"]

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "sim": "∼", "propto": "∝", "ll": "≪", "gg": "≫", "to": "→", "mapsto": "↦",
    "Rightarrow": "⇒", "Leftarrow": "⇐", "iff": "⇔", "implies": "⇒", "downarrow": "↓",
    "uparrow": "↑", "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "succ": "≻",
    "succeq": "⪰", "prec": "≺", "preceq": "⪯", "forall": "∀", "exists": "∃", "wedge": "∧",
    "vee": "∨", "neg": "¬", "infty": "∞", "partial": "∂", "nabla": "∇", "sum": "Σ",
    "prod": "Π", "int": "∫", "cdot": "·", "times": "×", "otimes": "⊗", "odot": "⊙",
    "oplus": "⊕", "pm": "±", "mp": "∓", "circ": "∘", "dots": "…", "ldots": "…", "cdots": "⋯",
    "top": "ᵀ", "dagger": "†", "star": "⋆", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊",
    "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "emptyset": "∅", "setminus": "∖",
    "mid": "|", "|": "‖", "{": "{", "}": "}", "#": "#", "&": "&", "%": "%", "_": "_",
    " ": " ", ",": " ", ";": " ", ":": " ", "!": "", "quad": "  ", "qquad": "    ",
    "left": "", "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "", "displaystyle": "",
    "rm": "", "limits": "", "nolimits": "",
}
_BLACKBOARD = {"R": "ℝ", "E": "𝔼", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "P": "ℙ", "1": "𝟙"}
_CALLIGRAPHIC = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "𝒜ℬ𝒞𝒟ℰℱ𝒢ℋℐ𝒥𝒦ℒℳ𝒩𝒪𝒫𝒬ℛ𝒮𝒯𝒰𝒱𝒲𝒳𝒴𝒵", strict=True))
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303",
            "bar": "\u0304", "overline": "\u0304", "dot": "\u0307", "ddot": "\u0308",
            "vec": "\u20d7"}
_SUPER = dict(zip("0123456789+-=()niTᵀ*′", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀᵀ*′", strict=True))
_SUB = dict(zip("0123456789+-=()aeijkmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₘₙₒₚᵣₛₜᵤᵥₓ", strict=True))
_TEXT_MACROS = ("mathrm", "text", "textrm", "operatorname", "mathbf", "boldsymbol", "mathit",
                "mathsf", "textit", "textbf", "bm")
_GROUP = r"\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}"  # a brace group, nested up to 3 deep
_DECORATION = re.compile("[\u0300-\u036f\u20d7" + "".join(_SUPER.values()) + "".join(_SUB.values())
                         + "]")


def _atomic(text: str) -> bool:
    """One symbol (with accents and scripts), a name like ``tr`` or a number: no parentheses."""
    core = _DECORATION.sub("", text)
    return len(core) <= 1 or re.fullmatch(r"\d+(?:\.\d+)?|[A-Za-z]+", core) is not None


def _wrap(latex: str) -> str:
    text = latex_to_text(latex)
    return text if _atomic(text) else f"({text})"


def _script(text: str, table: dict[str, str], marker: str) -> str:
    if text and all(char in table for char in text):
        return "".join(table[char] for char in text)
    return f"{marker}{_wrap(text)}"


_TOKEN = r"(?:" + _GROUP + r"|\\([A-Za-z]+)|([^\s\\{}]))"  # a group, a macro or one character
_MARK = "\x00"  # separates a rendered piece from a preceding macro name (``\forall\tilde p``)


def _token(match: re.Match[str], first: int) -> str:
    """The text of the token captured at groups ``first`` (group), ``first+1`` (macro), ..."""
    group, macro, char = match.group(first), match.group(first + 1), match.group(first + 2)
    if group is not None:
        return group
    return _macro(macro) if macro is not None else char


def _replace(pattern: str, render: Callable[[re.Match[str]], str], text: str) -> str:
    """``re.sub`` whose pieces start with :data:`_MARK`, so no macro name runs into them."""
    return re.sub(pattern, lambda m: _MARK + render(m), text)


def _one_pass(text: str) -> str:
    text = _replace(r"\\(?:t|d)?frac\s*" + _TOKEN + r"\s*" + _TOKEN,
                    lambda m: f"{_wrap(_token(m, 1))}/{_wrap(_token(m, 4))}", text)
    text = _replace(r"\\sqrt\s*" + _TOKEN, lambda m: f"√{_wrap(_token(m, 1))}", text)
    text = _replace(r"\\overset" + _GROUP + _GROUP, lambda m: m.group(2), text)
    text = _replace(r"\\(?:" + "|".join(_TEXT_MACROS) + r")\s*" + _GROUP, lambda m: m.group(1),
                    text)
    text = _replace(r"\\mathbb\s*" + _TOKEN,
                    lambda m: "".join(_BLACKBOARD.get(c, c) for c in _token(m, 1)), text)
    text = _replace(r"\\mathcal\s*" + _TOKEN,
                    lambda m: "".join(_CALLIGRAPHIC.get(c, c) for c in _token(m, 1)), text)
    accents = "|".join(_ACCENTS)
    return _replace(r"\\(" + accents + r")\s*" + _TOKEN,
                    lambda m: _token(m, 2) + _ACCENTS[m.group(1)], text)


def latex_to_text(latex: str) -> str:
    r"""Render the LaTeX in ``latex`` as plain Unicode for a terminal.

    Examples
    --------
    >>> latex_to_text(r"\|A\|_{op}<1 \wedge \mathcal{K}<1")
    '‖A‖ₒₚ<1 ∧ 𝒦<1'
    >>> latex_to_text(r"\mathbb{E}[\delta^\top H\delta] \le \tfrac{\eta}{2B}\mathrm{tr}\,\Theta")
    '𝔼[δᵀ Hδ] ≤ η/(2B)tr Θ'
    """
    text = latex
    for _ in range(4):  # nested constructs unwrap from the inside out
        rendered = _one_pass(text)
        if rendered == text:
            break
        text = rendered
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _macro(m.group(1)), text)
    text = re.sub(r"\\(.)", lambda m: _SYMBOLS.get(m.group(1), m.group(1)), text)
    text = re.sub(r"\^([^{(\s])", lambda m: _script(m.group(1), _SUPER, "^"), text)
    text = re.sub(r"\^" + _GROUP, lambda m: _script(m.group(1), _SUPER, "^"), text)
    text = re.sub(r"_([0-9a-z])(?![A-Za-z0-9])", lambda m: _script(m.group(1), _SUB, "_"), text)
    text = re.sub(r"_" + _GROUP, lambda m: _script(m.group(1), _SUB, "_"), text)
    text = text.replace(_MARK, "").replace("{", "").replace("}", "")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _macro(name: str) -> str:
    # \max, \min, \ln, \det, \lim, \arg, ... are not in the table: their name reads correctly
    return _SYMBOLS.get(name, name)
