"""`Module`: the base of layers, activations, losses and models.

A module's parameters are the leaf `Variable`s with `requires_grad=True` among
its attributes (a fixed mask Variable, or an intermediate result kept for later,
is not one); its submodules are the `Module`s among its attributes. Both are
found directly or inside lists, tuples and dicts, nested to any depth. Nothing
needs registering: assigning `self.weights = Variable(..., requires_grad=True)`
in `__init__` is enough. Parameters are named by their path: `layers.0.weights`,
`heads.key.bias`.

`save(path)` writes the parameters to a NumPy `.npz` file and `load(path)`
reads them back, never through pickle: a file that is not such an archive, or
whose names, shapes, dtypes or values do not fit the module, is a `ValueError`
naming the file and saying what is wrong, and the module is left untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ..autograd import Variable
from .archive import READ_ERRORS, NpzReader, write_arrays

PathLike = str | os.PathLike


class StateMismatch(ValueError):
    """A state (or file) whose names, shapes or values do not fit the module."""


class Module:
    """Base class: subclasses set their parameters and submodules in `__init__`
    and compute in `forward`; calling the module calls `forward`."""

    training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- structure ---------------------------------------------------------------------
    def _attributes(self) -> Iterator[tuple[str, Any]]:
        """(path, value) for every attribute, looking inside lists, tuples and dicts."""
        for name, value in vars(self).items():
            yield from _flatten(name, value)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The submodules among the attributes, directly or in (nested) lists, tuples and dicts."""
        for name, value in self._attributes():
            if isinstance(value, Module):
                yield name, value

    def modules(self) -> Iterator[Module]:
        """This module and all its submodules, depth first."""
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Variable]]:
        """(name, parameter) pairs; a parameter shared by two submodules comes once, under
        its first name, so that optimizers update it once."""
        seen = set()
        for name, p in self._all_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _all_parameters(self, prefix: str) -> Iterator[tuple[str, Variable]]:
        # this module's own parameters first, then each submodule's, as PyTorch orders them
        for name, value in self._attributes():
            if _is_parameter(value):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._all_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Variable]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and its submodules."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off) for this module and its submodules."""
        return self.train(False)

    # --- state -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's array, by name."""
        return {name: np.array(p.data) for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy `state`'s arrays into the parameters; all names and shapes must match,
        and every value must be finite and fit the parameter's dtype (1e300 does not
        fit in float32).

        Everything is checked before anything is written.
        """
        params = self._check_names(state.keys())
        arrays = {name: np.asarray(state[name]) for name in params}
        self._check_headers(params, {name: (a.shape, a.dtype) for name, a in arrays.items()})
        self._assign(params, arrays)

    def save(self, path: PathLike) -> None:
        """Write the parameters to `path` as a compressed `.npz` (exactly that path)."""
        write_arrays(path, self.state_dict())

    def load(self, path: PathLike) -> Module:
        """Read parameters written by `save` (no pickle: only plain arrays are read).

        The file is checked before any of its data is read: its zip directory (no
        encryption, stored or deflate only), its member names against the parameters'
        names, and each `.npy` header's shape and dtype (floating point only). So a
        malformed or hostile file is a `ValueError` naming the file and the problem,
        never a huge allocation; and all of it is read and checked before any
        parameter is written."""
        where = os.fspath(path)
        with open(path, "rb") as file:  # a missing file stays a FileNotFoundError
            try:
                with NpzReader(file) as archive:
                    # headers first (only the members named like a parameter, whose size
                    # bounds what is read), so a file of the wrong kind reads as unreadable
                    # rather than as a mismatch
                    sizes = {name: p.size for name, p in self.named_parameters()}
                    headers = {
                        name: archive.header(name, max_elements=sizes[name]) for name in archive.names if name in sizes
                    }
                    for name, (_, dtype) in headers.items():
                        if not np.issubdtype(dtype, np.floating):
                            raise ValueError(f"{name} holds {dtype} values; parameters are floating point")
                    params = self._check_names(archive.names)
                    self._check_headers(params, headers)
                    arrays = {name: archive.read(name) for name in params}
            except StateMismatch as err:
                raise ValueError(f"{where}: {err}") from None
            except READ_ERRORS as err:
                raise ValueError(f"{where} is not a readable .npz of parameters: {err}") from err
        try:
            self._assign(params, arrays)
        except StateMismatch as err:
            raise ValueError(f"{where}: {err}") from None
        return self

    def _check_names(self, names: Iterable[str]) -> dict[str, Variable]:
        """The parameters by name, if `names` are exactly theirs."""
        params = dict(self.named_parameters())
        names = set(names)
        missing, unexpected = sorted(params.keys() - names), sorted(names - params.keys())
        if missing or unexpected:
            raise StateMismatch(
                f"state does not match {type(self).__name__}: missing {missing or 'none'}, "
                f"unexpected {unexpected or 'none'}"
            )
        return params

    @staticmethod
    def _check_headers(params: dict[str, Variable], headers: dict[str, tuple[tuple[int, ...], np.dtype]]) -> None:
        for name, p in params.items():
            shape, dtype = headers[name]
            # exact shapes: a (5,) row or a (1, 3, 5) array would broadcast into a (3, 5)
            # parameter without complaint
            if shape != p.shape:
                raise StateMismatch(f"{name}: the state has shape {shape}, the parameter {p.shape}")
            if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
                raise StateMismatch(f"{name}: the state holds {dtype} values, not numbers")

    @staticmethod
    def _assign(params: dict[str, Variable], arrays: dict[str, np.ndarray]) -> None:
        """Check every value, then write them all (so a bad value changes nothing)."""
        cast = {}
        for name, p in params.items():
            value = arrays[name]
            if not np.isfinite(value).all():
                raise StateMismatch(f"{name}: the state holds non-finite values (nan or inf)")
            with np.errstate(over="ignore"):
                cast[name] = value.astype(p.dtype)
            # a finite float64 beyond float32's range becomes inf when cast down
            if not np.isfinite(cast[name]).all():
                raise StateMismatch(
                    f"{name}: the state holds values up to {np.abs(value).max():.3g}, "
                    f"which do not fit in the parameter's {p.dtype}"
                )
        for name, p in params.items():
            p.data[...] = cast[name]

    # --- display -----------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            nested = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {nested}")
        return "\n".join(lines) + "\n)"


def _flatten(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """(path, item) for the items of nested lists, tuples and dicts (`heads.key.0`), or
    (name, value) itself."""
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _flatten(f"{name}.{i}", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(f"{name}.{key}", item)
    else:
        yield name, value


def _is_parameter(value: Any) -> bool:
    # a fixed mask (requires_grad=False) or a stored intermediate (not a leaf) is not one
    return isinstance(value, Variable) and value.requires_grad and value.is_leaf
