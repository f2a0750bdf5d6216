"""checkpoint(f): trade compute for memory in reverse mode.

The checkpointed function runs as one primitive: its forward pass computes f
on plain values (no tape inside f), and the node keeps only f's inputs. Its VJP
rule runs f again under `vjp` and pulls the cotangent through that fresh tape;
its JVP rule is f's own `jvp`. Since both rules are transforms of f, they are
differentiable like any other rule, to any order.

>>> import numpy as np, tinytorch as tt
>>> from tinytorch.autograd import checkpoint, grad
>>> block = checkpoint(lambda x: tt.tanh(x) * 2.0)
>>> float(grad(lambda x: tt.sum(block(x)))(np.array(0.0)))
2.0
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .primitive import Primitive, unbox_all
from .values import as_value


def checkpoint(f: Callable[..., Any]) -> Callable[..., Any]:
    """f (a function of arrays returning one array), recomputed during backward
    instead of having its intermediate values stored."""
    from .transforms import push_through, vjp

    def forward_rule(tangents: list, ans: Any, *args: Any) -> Any:
        (out,), (tangent,) = push_through(f, args, tangents)
        if tangent is None:
            ref = next(t for t in tangents if t is not None)
            i = tangents.index(ref)
            batch = ref.shape[: ref.ndim - np.ndim(unbox_all(args[i]))]
            return np.zeros(batch + np.shape(unbox_all(out)), np.result_type(unbox_all(out)))
        return tangent

    def reverse_rule(g: Any, ans: Any, *args: Any) -> tuple:
        return tuple(vjp(f, *args)[1].batched([g], g.ndim - ans.ndim))

    prim = Primitive(f"checkpoint({getattr(f, '__name__', 'f')})", f, jvp_joint=forward_rule,
                     vjp_joint=reverse_rule, register=False)

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        return prim(*[as_value(a) for a in args])

    return wrapper
