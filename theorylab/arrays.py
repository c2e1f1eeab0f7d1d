"""Validated array inputs: dtype, shape, finiteness, symmetry and PSD-ness.

Two layers share one set of checks:

* plain functions (:func:`as_matrix`, :func:`as_vector`, :func:`as_symmetric`,
  :func:`as_psd`) that solvers call on their arguments, raising :mod:`theorylab.errors`
  exceptions with a readable message;
* annotated pydantic field types (:data:`Matrix`, :data:`Vector`, :data:`SymmetricMatrix`,
  :data:`PSDMatrix`) that run the same checks when a typed problem instance is built, and
  serialise to nested lists in JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from theorylab.errors import (
    DtypeError,
    NonFiniteError,
    NotPSDError,
    NotSymmetricError,
    ParameterError,
    ShapeError,
)

__all__ = [
    "Matrix",
    "PSDMatrix",
    "SymmetricMatrix",
    "Vector",
    "as_array",
    "as_matrix",
    "as_psd",
    "as_symmetric",
    "as_vector",
    "check_nonnegative",
    "check_positive",
    "symmetry_tolerance",
]


def as_array(value: Any, name: str) -> np.ndarray:
    """Convert ``value`` to a finite float64 array, naming ``name`` in any error.

    Raises
    ------
    DtypeError
        If the entries are not real numbers (complex, strings, objects).
    NonFiniteError
        If any entry is NaN or infinite.
    """
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise DtypeError(f"{name} could not be read as an array: {exc}") from None
    if array.dtype == object or array.dtype.kind in "USV":
        raise DtypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.dtype.kind == "c":
        raise DtypeError(f"{name} must be real, got complex dtype {array.dtype}")
    if array.dtype.kind not in "biuf":
        raise DtypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise NonFiniteError(f"{name} has {bad} NaN or infinite entr{'y' if bad == 1 else 'ies'}")
    return array


def as_matrix(
    value: Any,
    name: str,
    *,
    rows: int | None = None,
    columns: int | None = None,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``value`` as a finite 2-D float64 array, checking optional sizes.

    Raises
    ------
    ShapeError
        If the array is not 2-D, is empty (unless ``allow_empty``), or its sizes differ from
        ``rows`` / ``columns``.
    """
    array = as_array(value, name)
    if array.ndim != 2:
        raise ShapeError(f"{name} must be a 2-D array, got {array.ndim}-D with shape {array.shape}")
    if not allow_empty and array.size == 0:
        raise ShapeError(f"{name} must be non-empty, got shape {array.shape}")
    if rows is not None and array.shape[0] != rows:
        raise ShapeError(f"{name} must have {rows} rows, got shape {array.shape}")
    if columns is not None and array.shape[1] != columns:
        raise ShapeError(f"{name} must have {columns} columns, got shape {array.shape}")
    return array


def as_vector(value: Any, name: str, *, length: int | None = None) -> np.ndarray:
    """Return ``value`` as a finite 1-D float64 array of optional ``length``."""
    array = as_array(value, name)
    if array.ndim != 1:
        raise ShapeError(f"{name} must be a 1-D array, got {array.ndim}-D with shape {array.shape}")
    if length is not None and array.shape[0] != length:
        raise ShapeError(f"{name} must have length {length}, got {array.shape[0]}")
    return array


def symmetry_tolerance(matrix: np.ndarray) -> float:
    r"""Absolute tolerance for symmetry and PSD tests: :math:`64\,n\,\epsilon\,\max|A_{ij}|`.

    Round-off in a product :math:`X^\top X` of size ``n`` is bounded by
    :math:`n\,\epsilon\,\|X\|^2`; the factor 64 leaves room for the computation that built it.
    """
    scale = float(np.max(np.abs(matrix))) if matrix.size else 0.0
    return 64.0 * matrix.shape[0] * np.finfo(np.float64).eps * scale


def as_symmetric(value: Any, name: str, *, size: int | None = None) -> np.ndarray:
    r"""Return a finite square symmetric matrix (symmetrised to remove round-off).

    Raises
    ------
    NotSymmetricError
        If :math:`\\max|A - A^\\top|` exceeds :func:`symmetry_tolerance`.
    """
    matrix = as_matrix(value, name, rows=size, columns=size)
    if matrix.shape[0] != matrix.shape[1]:
        raise ShapeError(f"{name} must be square, got shape {matrix.shape}")
    asymmetry = float(np.max(np.abs(matrix - matrix.T)))
    if asymmetry > symmetry_tolerance(matrix):
        raise NotSymmetricError(
            f"{name} must be symmetric: max |A - A^T| = {asymmetry:.3g} "
            f"exceeds tolerance {symmetry_tolerance(matrix):.3g}"
        )
    return 0.5 * (matrix + matrix.T)


def as_psd(value: Any, name: str, *, size: int | None = None) -> np.ndarray:
    """Return a finite symmetric positive semi-definite matrix.

    Raises
    ------
    NotPSDError
        If the smallest eigenvalue is below ``-symmetry_tolerance``.
    """
    matrix = as_symmetric(value, name, size=size)
    smallest = float(np.linalg.eigvalsh(matrix)[0])
    if smallest < -symmetry_tolerance(matrix):
        raise NotPSDError(
            f"{name} must be positive semi-definite: smallest eigenvalue {smallest:.3g} < 0"
        )
    return matrix


def check_nonnegative(value: float, name: str) -> float:
    """Return ``value`` as a float, requiring it finite and ``>= 0``."""
    number = _finite_scalar(value, name)
    if number < 0:
        raise ParameterError(f"{name} must be >= 0, got {number:g}")
    return number


def check_positive(value: float, name: str) -> float:
    """Return ``value`` as a float, requiring it finite and ``> 0``."""
    number = _finite_scalar(value, name)
    if number <= 0:
        raise ParameterError(f"{name} must be > 0, got {number:g}")
    return number


def _finite_scalar(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a real number, got {value!r}") from None
    if not np.isfinite(number):
        raise NonFiniteError(f"{name} must be finite, got {number}")
    return number


def _serialize(array: np.ndarray) -> list[Any]:
    return np.asarray(array).tolist()


_ARRAY_SCHEMA = WithJsonSchema({"type": "array", "items": {}})
_SERIALIZER = PlainSerializer(_serialize, return_type=list)

Matrix = Annotated[
    np.ndarray,
    BeforeValidator(lambda value: as_matrix(value, "matrix")),
    _SERIALIZER,
    _ARRAY_SCHEMA,
]
"""A finite 2-D float64 array (pydantic field type)."""

Vector = Annotated[
    np.ndarray,
    BeforeValidator(lambda value: as_vector(value, "vector")),
    _SERIALIZER,
    _ARRAY_SCHEMA,
]
"""A finite 1-D float64 array (pydantic field type)."""

SymmetricMatrix = Annotated[
    np.ndarray,
    BeforeValidator(lambda value: as_symmetric(value, "matrix")),
    _SERIALIZER,
    _ARRAY_SCHEMA,
]
"""A finite symmetric float64 matrix (pydantic field type)."""

PSDMatrix = Annotated[
    np.ndarray,
    BeforeValidator(lambda value: as_psd(value, "matrix")),
    _SERIALIZER,
    _ARRAY_SCHEMA,
]
"""A finite positive semi-definite float64 matrix (pydantic field type)."""
