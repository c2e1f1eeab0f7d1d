r"""An errata sheet (:class:`theorylab.errata.model.Sheet`) as a standalone LaTeX ``article``.

The file compiles on its own with ``pdflatex`` and the base packages (``amsmath``,
``amssymb``). Claim statements are the spec's LaTeX, set in math mode as printed. Every
other text (summaries, messages, step names) is escaped by :func:`tex_text`: the ten
special characters are escaped, and the Unicode a check writes (``σ̂``, ``‖``, ``≤``, ``²``)
becomes math macros through the inverse of :mod:`theorylab.latex_text`'s tables, so
pdflatex never meets a character it has no glyph for; anything else is written as its code
point (``[U+2603]``) rather than dropped.
"""

from __future__ import annotations

import re
import unicodedata

from theorylab.errata import wording as say
from theorylab.errata.model import MISSING, Entry, Sheet
from theorylab.latex_text import _ACCENTS, _BLACKBOARD, _CALLIGRAPHIC, _SUB, _SUPER, _SYMBOLS

__all__ = ["render_latex", "tex_math", "tex_text"]

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$",
            "%": r"\%", "&": r"\&", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
            "<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}"}
_TEXT = {"—": "---", "–": "--", "…": r"\ldots{}", "’": "'", "‘": "`", "“": "``", "”": "''",
         "−": r"\ensuremath{-}", "′": r"\ensuremath{'}", "\u00a0": "~", "ᵀ": r"\ensuremath{^\top}",
         "°": r"\ensuremath{^\circ}", "ε": r"\ensuremath{\varepsilon}",
         "ϵ": r"\ensuremath{\epsilon}"}
_MATH: dict[str, str] = {}
for _name, _char in reversed(list(_SYMBOLS.items())):  # first name wins (\le over \leq)
    if len(_char) == 1 and not _char.isascii():
        _MATH[_char] = "\\" + _name
_MATH.update({char: rf"\mathbb{{{letter}}}" for letter, char in _BLACKBOARD.items()})
_MATH.update({char: rf"\mathcal{{{letter}}}" for letter, char in _CALLIGRAPHIC.items()})
_MATH.update({char: f"^{{{plain}}}" for plain, char in _SUPER.items() if char != "ᵀ"})
_MATH.update({char: f"_{{{plain}}}" for plain, char in _SUB.items()})
_MATH.update({"∑": r"\sum", "∏": r"\prod", "√": r"\surd", "∓": r"\mp", "⊤": r"\top",
              "𝟙": r"\mathbf{1}", "ℓ": r"\ell", "∼": r"\sim", "≲": r"\lesssim",
              "≳": r"\gtrsim", "⪰": r"\succeq", "⪯": r"\preceq", "∉": r"\notin"})
_ACCENT_MACRO = {mark: name for name, mark in reversed(list(_ACCENTS.items()))}
_CLUSTER = re.compile(r"(.)([\u0300-\u036f\u20d7]*)", re.DOTALL)
_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath,amssymb}
\providecommand{\bm}[1]{\boldsymbol{#1}}
\providecommand{\lesssim}{\mathrel{\raisebox{-.5ex}{$\stackrel{<}{\sim}$}}}
\providecommand{\gtrsim}{\mathrel{\raisebox{-.5ex}{$\stackrel{>}{\sim}$}}}
\setlength{\parindent}{0pt}\setlength{\parskip}{.5em}
\sloppy
"""


def _greek(char: str) -> str | None:
    name = unicodedata.name(char, "")
    match = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (\w+)", name)
    if match is None:
        return None
    word = match.group(2).lower().replace("lamda", "lambda")
    if match.group(1) == "CAPITAL":
        macro = "\\" + word.capitalize()
        known = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
                 "Psi", "Omega"}
        return macro if macro[1:] in known else unicodedata.normalize("NFKD", char)[:1]
    return "\\" + word


def _math_of(char: str) -> str | None:
    """``char`` as math-mode LaTeX, or ``None`` when there is none."""
    if char in _MATH:
        return _MATH[char]
    greek = _greek(char)
    if greek is not None and greek.isascii():
        return greek
    return None


def _unicode(char: str, marks: str) -> str:
    """One character with its combining accents, as LaTeX usable in text and math mode."""
    if char.isascii() and not marks:
        return _SPECIAL.get(char, char)
    if char in _TEXT and not marks:
        return _TEXT[char]
    math = _math_of(char) if not char.isascii() else char
    if math is None:
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        if plain and not marks:
            return _SPECIAL.get(plain, plain) if len(plain) == 1 else plain
        return f"[U+{ord(char):04X}]"
    for mark in marks:
        macro = _ACCENT_MACRO.get(mark)
        math = rf"\{macro}{{{math}}}" if macro else math
    return rf"\ensuremath{{{math}}}"


def tex_text(text: str) -> str:
    r"""Plain text (with Unicode) as LaTeX that pdflatex typesets.

    Examples
    --------
    >>> tex_text("E[Δ2σ̂] ≤ 1/2 & 50%_x")
    'E[\\ensuremath{\\Delta}2\\ensuremath{\\hat{\\sigma}}] \\ensuremath{\\le} 1/2 \\& 50\\%\\_x'
    """
    return "".join(_unicode(m.group(1), m.group(2)) for m in _CLUSTER.finditer(text))


def tex_math(latex: str) -> str:
    """A statement's LaTeX for math mode: as printed, with any Unicode made into macros."""
    out = []
    for match in _CLUSTER.finditer(latex):
        char, marks = match.group(1), match.group(2)
        out.append(char if char.isascii() and not marks else _unicode(char, marks))
    return "".join(out)


def _verbatim(lines: tuple[str, ...]) -> str:
    safe = [line.encode("ascii", "replace").decode() for line in lines]
    return "\\begin{verbatim}\n" + "\n".join(safe) + "\n\\end{verbatim}"


def render_latex(sheet: Sheet) -> str:
    """The sheet as a standalone LaTeX document."""
    paper = sheet.paper
    parts = [_PREAMBLE, rf"\title{{Errata: {tex_text(paper.title)}}}",
             rf"\author{{Paper {tex_text(paper.number)} ({tex_text(paper.key)})}}",
             r"\date{}", r"\begin{document}", r"\maketitle",
             tex_text(say.provenance(sheet)), "",
             f"{len(sheet.entries)} statement(s) refuted; {len(sheet.others)} other claim(s) "
             "not refuted at either level.", "", r"\begin{itemize}"]
    for entry in sheet.entries:
        parts.append(rf"\item \texttt{{{tex_text(entry.claim.id)}}} "
                     f"({tex_text(say.location(entry.claim))}): quick {tex_text(entry.quick)}, "
                     f"full {tex_text(entry.full)}")
    parts.append(r"\end{itemize}" if sheet.entries else r"\item none\end{itemize}")
    for entry in sheet.entries:
        parts += _entry(entry)
    if sheet.others:
        parts += [r"\section*{Claims not refuted}", r"\begin{itemize}"]
        parts += [rf"\item \texttt{{{tex_text(c)}}} ({tex_text(w)}): quick {tex_text(q)}, "
                  f"full {tex_text(f)}" for c, w, q, f in sheet.others]
        parts.append(r"\end{itemize}")
    if sheet.audited:
        parts += [r"\section*{Premise audit}", tex_text(say.PREMISE_INTRO), r"\begin{itemize}"]
        parts += [rf"\item \texttt{{{tex_text(cid)}}}: {tex_text(premise)} --- "
                  rf"\emph{{{tex_text(outcome)}}} ({tex_text(checks)}). {tex_text(finding)}"
                  for cid, premise, outcome, checks, finding in say.premise_rows(sheet)]
        parts.append(r"\end{itemize}")
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def _entry(entry: Entry) -> list[str]:
    claim = entry.claim
    parts = [rf"\section*{{\texttt{{{tex_text(claim.id)}}}: {tex_text(claim.title)}}}",
             rf"\textbf{{Where:}} {tex_text(say.location(claim))}\\",
             rf"\textbf{{Verdict:}} quick {tex_text(entry.quick)}; full {tex_text(entry.full)}",
             "", r"\textbf{Statement as printed:}", "", f"${tex_math(claim.statement)}$", "",
             r"\textbf{Why it fails:}", r"\begin{itemize}"]
    for reason in entry.reasons:
        parts.append(rf"\item \texttt{{{tex_text(reason.check)}}} ({tex_text(reason.kind)}, "
                     f"{tex_text(', '.join(reason.levels))}): {tex_text(reason.summary)}")
        inner = [rf"\item failing step \texttt{{{tex_text(step.name)}}} "
                 f"({tex_text(step.equation)}): ${tex_math(step.claim)}$; residual "
                 rf"\texttt{{{tex_text(step.residual)}}}" for step in reason.steps]
        example = say.shown_counterexample(entry, reason)
        if example is not None:
            claimed, actual, message = map(tex_text, say.counterexample_parts(reason, example))
            inner.append(rf"\item counterexample: claimed {claimed}; actual {actual}. {message}")
        if inner:
            parts += [r"\begin{itemize}", *inner, r"\end{itemize}"]
    parts += [r"\end{itemize}", r"\textbf{Hand-checkable counterexample:}", ""]
    hand = entry.hand
    if hand is None:
        parts.append(tex_text(say.no_hand_example(entry)))
    else:
        numbers = "; ".join(f"{tex_text(k)} $=$ {tex_text(v)}" for k, v in hand.numbers.items())
        parts += [rf"From \texttt{{{tex_text(hand.check)}}}: {numbers}.", r"\begin{itemize}",
                  rf"\item claimed: {tex_text(hand.claimed)}",
                  rf"\item actual: {tex_text(hand.actual)}",
                  rf"\item {tex_text(hand.message)}", rf"\item {tex_text(say.exact_line(hand))}",
                  r"\end{itemize}"]
    parts += ["", r"\textbf{Corrected statement:}", ""]
    if entry.companion is None:
        parts.append("No corrected companion in the catalogue.")
    else:
        parts += [rf"\texttt{{{tex_text(entry.companion.id)}}}: quick "
                  f"{tex_text(entry.companion_quick)}, full {tex_text(entry.companion_full)}.",
                  "", f"${tex_math(entry.companion.statement)}$"]
    parts += ["", r"\textbf{Reproduce:}", _verbatim(entry.commands or (MISSING,))]
    return parts
