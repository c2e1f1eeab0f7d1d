r"""Choosing the parameter subset :math:`\theta` that curvature is taken with respect to.

A selection is one of

* ``None`` — every parameter with ``requires_grad`` (the default everywhere);
* a string — a module prefix: ``"head"`` selects ``head.weight`` and ``head.bias``;
* a sequence of parameter names (``"0.weight"``) or of :class:`torch.nn.Parameter` objects.

The selected parameters keep the order of :meth:`torch.nn.Module.named_parameters`, and the
flat vector :math:`\theta\in\mathbb{R}^p` concatenates them in that order, each flattened
row-major (``tensor.reshape(-1)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from theorylab.errors import ParameterError

__all__ = ["ParameterSelection", "select_parameters"]

ParameterSelection = str | Sequence[str] | Sequence[torch.nn.Parameter] | None


def select_parameters(
    model: torch.nn.Module, parameters: ParameterSelection = None
) -> list[tuple[str, torch.nn.Parameter]]:
    """Return the selected ``(name, parameter)`` pairs in ``named_parameters`` order.

    Parameters
    ----------
    model
        The network.
    parameters
        ``None``, a module prefix, parameter names, or parameter objects (see module doc).

    Returns
    -------
    list of (str, torch.nn.Parameter)
        Non-empty, without duplicates.

    Raises
    ------
    ParameterError
        If a name or object is not a parameter of ``model``, or the selection is empty.

    Examples
    --------
    >>> layer = torch.nn.Linear(3, 2)
    >>> [name for name, _ in select_parameters(layer, ["bias"])]
    ['bias']
    """
    named = list(model.named_parameters())
    if parameters is None:
        chosen = [(name, p) for name, p in named if p.requires_grad]
    elif isinstance(parameters, str):
        prefix = parameters.rstrip(".")
        chosen = [(n, p) for n, p in named if n == prefix or n.startswith(prefix + ".")]
        if not chosen:
            raise ParameterError(
                f"no parameter of the model lies under the prefix {parameters!r}; "
                f"names are {[n for n, _ in named]}"
            )
    else:
        chosen = _from_sequence(named, list(parameters))
    if not chosen:
        raise ParameterError("the parameter selection is empty: no trainable parameters")
    return chosen


def _from_sequence(
    named: list[tuple[str, torch.nn.Parameter]], items: list[object]
) -> list[tuple[str, torch.nn.Parameter]]:
    names = {n for n, _ in named}
    wanted_names: set[str] = set()
    wanted_ids: set[int] = set()
    for item in items:
        if isinstance(item, str):
            if item not in names:
                raise ParameterError(f"{item!r} is not a parameter name of the model")
            wanted_names.add(item)
        elif isinstance(item, torch.Tensor):
            if not any(p is item for _, p in named):
                raise ParameterError("a parameter object in the selection is not in the model")
            wanted_ids.add(id(item))
        else:
            raise ParameterError(
                f"parameters must hold names or nn.Parameter objects, got {type(item).__name__}"
            )
    return [(n, p) for n, p in named if n in wanted_names or id(p) in wanted_ids]
