"""Batched derivative passes of one function over many seed blocks, in this process or
on workers: the layer under `jacobian(..., executor=)`, and under any Jacobian that is
a list of batched passes (a coloured one's compressed seeds as much as the identity's).

The seeds are cut into contiguous groups, about one per worker, each group one task that
runs its chunks one after another: f and its arguments travel once per task, not once
per chunk, and a reverse-mode task records f once for all of its chunks (a tape cannot
travel). Every chunk runs the arithmetic it would run in-process, so the results are
bitwise those of the serial passes.
"""

from __future__ import annotations

import io
import math
import os
import pickle
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .levels import Box
from .passes import (
    Argnums,
    Inputs,
    Pushed,
    Recording,
    diff_inputs,
    output_node,
    plain,
    pull_back,
    push_forward,
    record,
)
from .tree import flatten

if TYPE_CHECKING:  # concurrent.futures (and logging, which it imports) only once an executor is used
    from concurrent.futures import Executor


class Call(NamedTuple):
    """f, what it is called with, and which arguments are differentiated: what a task ships."""

    f: Callable
    args: tuple
    kwargs: dict
    argnums: Argnums


class Seed(NamedTuple):
    """One chunk: `size` directions, and per leaf a block of them shaped (size,) + leaf.shape
    (None: zeros). The leaves are f's differentiated inputs in forward mode (tangents), its
    flattened outputs in reverse mode (cotangents)."""

    size: int
    blocks: list


def seeded_passes(
    call: Call,
    mode: str,
    seeds: Sequence[Seed],
    executor: Executor | None = None,
    inputs: Inputs | None = None,
    recording: Recording | None = None,
) -> list:
    """One batched pass of `call.f` per seed, the results in the seeds' order.

    mode "forward": per seed, `Pushed(values, tangents, treedef)` of f's outputs (a tangent
    None is zero). mode "reverse": per seed, the cotangents of the differentiated input
    leaves, each (size,) + leaf.shape (zeros where none arrives).

    `seeds`: a list, or any sequence whose slices are sequences of seeds again (a lazy one
    is sliced per task and builds its blocks where they are used). `executor` None: here,
    one seed after another, forward passes on `inputs` and reverse passes pulled back
    through `recording` when given (else f is recorded once). Otherwise any
    `concurrent.futures.Executor` (a thread or process pool, a Dask client's
    `get_executor()`): `workers(executor)` tasks at most, whose exceptions are raised here,
    the other tasks cancelled. Other processes need f and the arguments picklable:
    cloudpickle when it is installed (lambdas and closures too), else pickle.
    """
    if executor is None:
        return _run(call, mode, seeds, inputs, recording)
    from concurrent.futures import ThreadPoolExecutor, as_completed

    if isinstance(executor, ThreadPoolExecutor):  # threads share this process's objects
        if any(isinstance(x, Box) for x in flatten((call.args, call.kwargs))[0]):
            raise TypeError(_NESTED)
        payload: Call | bytes = call
    else:
        payload = _dumps(call)  # once for all the tasks
    futures = [executor.submit(_task, payload, mode, seeds[lo:hi]) for lo, hi in _groups(len(seeds), executor)]
    try:
        for future in as_completed(futures):
            future.result()  # a worker's exception, raised as soon as it arrives
    finally:
        for future in futures:
            future.cancel()  # the ones not started yet (no-op for the finished ones)
    results = [r for future in futures for r in future.result()]
    if any(isinstance(x, Box) for x in flatten(results)[0]):
        raise TypeError(_NESTED)
    return results


_NESTED = (
    "jacobian(executor=...) differentiates plain arrays: it cannot run under another transform "
    "(a box among f's arguments or in its closure); use executor=None there"
)


def workers(executor: Executor) -> int:
    """How many tasks `executor` runs at once: a Dask client's threads, a concurrent.futures
    pool's max_workers, else the machine's CPUs."""
    client = getattr(executor, "_client", None)
    if client is not None and hasattr(client, "nthreads"):
        return max(1, sum(client.nthreads().values()))
    count = getattr(executor, "_max_workers", None)
    return count if isinstance(count, int) and count > 0 else os.cpu_count() or 1


def chunk_size_for(directions: int, executor: Executor) -> int:
    """A chunk size that gives every worker one chunk of the `directions`."""
    return max(1, math.ceil(directions / workers(executor)))


def _groups(count: int, executor: Executor) -> list[tuple[int, int]]:
    """`count` seeds cut into contiguous groups whose sizes differ by one at most."""
    tasks = min(count, workers(executor))
    if not tasks:
        return []
    bounds = [count * g // tasks for g in range(tasks + 1)]
    return list(zip(bounds, bounds[1:]))


class _BoxMet(Exception):
    pass


def _dumps(call: Call) -> bytes:
    """`call` pickled (by cloudpickle when installed, which takes lambdas and closures too),
    refusing boxes: a box of this process's transform, met on a worker, would be
    confused with the worker's own levels."""
    try:
        import cloudpickle

        base = cloudpickle.CloudPickler
    except ImportError:
        cloudpickle, base = None, pickle.Pickler

    class NoBoxes(base):
        def persistent_id(self, obj: Any) -> None:
            if isinstance(obj, Box):
                raise _BoxMet

    buffer = io.BytesIO()
    try:
        NoBoxes(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(call)
    except _BoxMet:
        raise TypeError(_NESTED) from None
    except (pickle.PicklingError, AttributeError, TypeError) as err:
        hint = "" if cloudpickle else ": a module-level function, not a lambda or a closure (or install cloudpickle)"
        raise TypeError(
            "jacobian(executor=...) sends f and its arguments to other processes, so they must be "
            f"picklable{hint}; pickling failed with: {err}"
        ) from err
    return buffer.getvalue()


def _task(payload: Call | bytes, mode: str, seeds: Sequence[Seed]) -> list:
    call = pickle.loads(payload) if isinstance(payload, bytes) else payload
    return _run(call, mode, seeds)


def _run(
    call: Call, mode: str, seeds: Sequence[Seed], inputs: Inputs | None = None, recording: Recording | None = None
) -> list:
    f, args, kwargs, argnums = call
    inputs = inputs or diff_inputs(args, argnums, "jacobian")
    if mode == "forward":
        pushed = [push_forward(f, args, kwargs, argnums, seed.blocks, inputs) for seed in seeds]
        # a tangent carrying no derivative (made with a closure's constant) becomes the array jacobian returns
        return [Pushed(p.values, [t if t is None else plain(t) for t in p.tangents], p.treedef) for p in pushed]
    recording = recording or record(f, args, kwargs, argnums, "jacobian", inputs)
    nodes = [output_node(o, recording.level) for o in flatten(recording.out)[0]]
    results = []
    for k, seed in enumerate(seeds):
        pairs = [(node, c) for node, c in zip(nodes, seed.blocks) if node is not None and c is not None]
        results.append(pull_back(recording, pairs, (seed.size,), retain=k < len(seeds) - 1))
    return results
