"""`Module`: the base of layers, activations, losses and models.

A module's parameters are the leaf `Variable`s among its attributes; its
submodules are the `Module`s among its attributes, directly or in a list or
tuple. Nothing needs registering: assigning `self.weights = Variable(...)` in
`__init__` is enough. Parameters are named by their path (`layers.0.weights`).

`save(path)` writes the parameters to a NumPy `.npz` file and `load(path)`
reads them back, never through pickle: a file that is not such an archive, or
whose names or shapes do not match the module, is a `ValueError` saying what
is wrong, and the module is left untouched.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..autograd import Dual, Variable

PathLike = str | os.PathLike


def as_input(x: Any) -> Any:
    """Variables and Duals as they are; anything else (Tensor, list) as an ndarray."""
    return x if isinstance(x, (Variable, Dual)) else np.asarray(x)


class Module:
    """Base class: subclasses set their parameters and submodules in `__init__`
    and compute in `forward`; calling the module calls `forward`."""

    training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- structure ---------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

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
        for name, value in vars(self).items():
            if isinstance(value, Variable) and value.is_leaf:
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
        """Copy `state`'s arrays into the parameters; all names and shapes must match.

        Everything is checked before anything is written.
        """
        params = dict(self.named_parameters())
        missing = sorted(params.keys() - state.keys())
        unexpected = sorted(state.keys() - params.keys())
        if missing or unexpected:
            raise ValueError(f"state does not match {type(self).__name__}: missing {missing or 'none'}, "
                             f"unexpected {unexpected or 'none'}")
        arrays = {}
        for name, p in params.items():
            value = np.asarray(state[name])
            if value.shape != p.shape:
                raise ValueError(f"{name}: the state has shape {value.shape}, the parameter {p.shape}")
            if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
                raise ValueError(f"{name}: the state holds {value.dtype} values, not numbers")
            arrays[name] = value
        for name, p in params.items():
            p.data[...] = arrays[name]

    def save(self, path: PathLike) -> None:
        """Write the parameters to `path` as a compressed `.npz` (exactly that path)."""
        with open(path, "wb") as f:
            np.savez_compressed(f, **self.state_dict())

    def load(self, path: PathLike) -> Module:
        """Read parameters written by `save` (no pickle: only plain arrays are read)."""
        self.load_state_dict(_read_npz(path))
        return self

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


def _read_npz(path: PathLike) -> dict[str, np.ndarray]:
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not named parameters")
        with archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise ValueError(f"{os.fspath(path)} is not a readable .npz of parameters: {err}") from err
