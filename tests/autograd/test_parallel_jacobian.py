"""jacobian(executor=...): chunks computed as tasks on a thread pool, a spawned process
pool and a two-process Dask cluster, bitwise equal to the serial result with the same
chunk_size (values and dtypes), checked once against closed forms and central
differences; a worker's exception reaches the caller, and nothing hangs."""

import functools
import multiprocessing
import sys
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, jacfwd, jacobian, jacrev
from tinytorch.autograd.parallel import workers
from tinytorch.autograd.tree import flatten

A = np.random.default_rng(0).standard_normal((5, 7))
X7 = np.linspace(-1.0, 1.2, 7)
PARAMS = {"w": np.arange(6.0).reshape(2, 3) / 7, "b": np.array([0.5, -1.0, 2.0, 0.25])}
Y3 = np.array([0.3, -0.4, 1.1])


# module-level functions: a process pool pickles them by reference


def layer(x):
    """R^7 -> R^5, in x's dtype."""
    return tt.tanh(A.astype(x.dtype) @ x)


def tree_fn(params, y, scale):
    """Containers in and out: 13 inputs (params and y differentiated), 9 outputs."""
    u = params["w"] @ tt.sin(y) * scale
    return {"u": u, "v": tt.concatenate([params["b"] * tt.sum(y**2), u]), "s": (tt.sum(params["w"] ** 2),)}


CASES = {
    "vector": (layer, (X7,), 0),
    "float32": (layer, (X7.astype(np.float32),), 0),
    "containers": (tree_fn, (PARAMS, Y3, 2.0), (0, 1)),
}


def _on_a_worker():
    return multiprocessing.parent_process() is not None or threading.current_thread().name.startswith("tt-worker")


def fails_on_a_worker(x):
    """Raises on a worker: forward mode in the chunk holding direction 5 only, reverse mode in every pass."""
    if _on_a_worker() and (isinstance(x, Variable) or (isinstance(x, Dual) and np.any(x.tangent[:, 5]))):
        raise FloatingPointError("chunk failed on purpose")
    return layer(x)


RAN_ON_A_WORKER = []


def watched(x):
    """layer, noting each pass that ran on a worker thread of this process."""
    if _on_a_worker():
        RAN_ON_A_WORKER.append(x)
    return layer(x)


@pytest.fixture(scope="module")
def threads():
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tt-worker") as pool:
        yield pool


@pytest.fixture(scope="module")
def processes():
    # spawn: a forked pytest-xdist worker would inherit its threads and locks
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


@pytest.fixture(scope="module")
def dask():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    yield client.get_executor()
    client.close()
    cluster.close()


def assert_bitwise_equal(got, want, what):
    got_leaves, got_def = flatten(got)
    want_leaves, want_def = flatten(want)
    assert got_def == want_def, what
    for g, w in zip(got_leaves, want_leaves):
        assert type(g) is np.ndarray and g.dtype == w.dtype and np.array_equal(g, w), what


def within(seconds, fn):
    """fn's result, or its exception; a failure, not a hang, if it runs longer than `seconds`."""
    outcome = {}

    def run():
        try:
            outcome["result"] = fn()
        except BaseException as err:
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@pytest.mark.parametrize("kind", ["threads", "processes", "dask"])
def test_every_executor_gives_the_serial_jacobian_bit_for_bit(kind, request):
    executor = request.getfixturevalue(kind)
    for name, (f, args, argnums) in CASES.items():
        for mode in ("forward", "reverse"):
            for chunk_size in (2, 5):  # divide neither 7, 13 (inputs) nor 5, 9 (outputs)
                serial = jacobian(f, argnums, mode, chunk_size)(*args)
                parallel = within(120, functools.partial(jacobian(f, argnums, mode, chunk_size, executor), *args))
                assert_bitwise_equal(parallel, serial, (kind, name, mode, chunk_size))
    assert workers(executor) == 2


def central_differences(f, inputs, name, eps=1e-6):
    """The derivative of each of f's output leaves by inputs[name], shaped out.shape + in.shape."""
    x = inputs[name]
    blocks = [np.zeros(np.shape(o) + x.shape) for o in flatten(f(inputs))[0]]
    for idx in np.ndindex(x.shape):
        up, down = {**inputs, name: x.copy()}, {**inputs, name: x.copy()}
        up[name][idx] += eps
        down[name][idx] -= eps
        for block, hi, lo in zip(blocks, flatten(f(up))[0], flatten(f(down))[0]):
            block[(...,) + idx] = (np.asarray(hi) - np.asarray(lo)) / (2 * eps)
    return blocks


def test_the_jacobians_are_right_not_only_equal(threads):
    closed_form = (1 - np.tanh(A @ X7) ** 2)[:, None] * A
    inputs = {"w": PARAMS["w"], "b": PARAMS["b"], "y": Y3}
    by_name = {
        name: central_differences(lambda i: tree_fn({"w": i["w"], "b": i["b"]}, i["y"], 2.0), inputs, name)
        for name in inputs
    }
    # flatten(J): per output leaf, the blocks of w, b (params' keys in order), then y
    numeric = [by_name[name][j] for j in range(len(by_name["w"])) for name in ("w", "b", "y")]
    for mode in ("forward", "reverse"):
        J = jacobian(layer, mode=mode, chunk_size=3, executor=threads)(X7)
        np.testing.assert_allclose(J, closed_form, rtol=1e-13, atol=1e-15)
        blocks = flatten(jacobian(tree_fn, (0, 1), mode, 4, threads)(PARAMS, Y3, 2.0))[0]
        assert len(blocks) == len(numeric) == 9
        for got, want in zip(blocks, numeric):
            np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)


class CountingPool(ThreadPoolExecutor):
    def __init__(self):
        super().__init__(max_workers=2, thread_name_prefix="tt-worker")
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def test_one_task_per_worker_runs_many_chunks_and_records_f_once():
    calls = []

    def counted(x):
        calls.append(None)
        return layer(x)

    with CountingPool() as pool:
        J = jacfwd(counted, chunk_size=1, executor=pool)(X7)  # 7 chunks
        assert pool.submitted == 2 and len(calls) == 7
        calls.clear()
        assert np.array_equal(jacrev(counted, chunk_size=1, executor=pool)(X7), jacrev(layer, chunk_size=1)(X7))
        # 5 chunks in 2 tasks: one pass recorded here (to learn the outputs), one per task
        assert pool.submitted == 4 and len(calls) == 3
    assert np.array_equal(J, jacfwd(layer, chunk_size=1)(X7))


def test_without_chunk_size_each_worker_gets_one_chunk(threads):
    with CountingPool() as pool:
        J = jacfwd(layer, executor=pool)(X7)
        assert pool.submitted == 2
    assert_bitwise_equal(J, jacfwd(layer, chunk_size=4)(X7), "7 directions over 2 workers: chunks of 4")
    assert_bitwise_equal(jacrev(layer, executor=threads)(X7), jacrev(layer, chunk_size=3)(X7), "5 over 2: 3")


@pytest.mark.parametrize("kind", ["threads", "processes", "dask"])
def test_a_failing_worker_raises_its_exception_here_and_nothing_hangs(kind, request):
    executor = request.getfixturevalue(kind)
    for jac in (jacfwd, jacrev):
        with pytest.raises(FloatingPointError, match="chunk failed on purpose"):
            within(120, functools.partial(jac(fails_on_a_worker, chunk_size=2, executor=executor), X7))
    # the executor still serves
    assert_bitwise_equal(
        within(120, lambda: jacfwd(layer, executor=executor)(X7)), jacfwd(layer, chunk_size=4)(X7), kind
    )


class Stalled(Executor):
    """Two workers: the first task never starts, the second fails at once."""

    _max_workers = 2

    def __init__(self):
        self.futures = []

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        if self.futures:
            future.set_exception(FloatingPointError("the second task failed"))
        self.futures.append(future)
        return future


def test_a_failure_is_raised_without_waiting_for_earlier_tasks_which_are_cancelled():
    stalled = Stalled()
    with pytest.raises(FloatingPointError, match="the second task failed"):
        within(30, functools.partial(jacfwd(layer, chunk_size=2, executor=stalled), X7))
    assert len(stalled.futures) == 2 and stalled.futures[0].cancelled()


def test_process_pools_take_lambdas_through_cloudpickle_and_explain_without_it(processes, monkeypatch):
    f = lambda x: tt.sin(x) * x  # noqa: E731
    assert_bitwise_equal(within(120, lambda: jacfwd(f, executor=processes)(X7)), jacfwd(f, chunk_size=4)(X7), "lambda")
    monkeypatch.setitem(sys.modules, "cloudpickle", None)  # import cloudpickle fails
    with pytest.raises(TypeError, match="must be picklable: a module-level function"):
        jacfwd(f, executor=processes)(X7)
    assert_bitwise_equal(
        within(120, lambda: jacfwd(layer, executor=processes)(X7)), jacfwd(layer, chunk_size=4)(X7), ""
    )


@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_under_another_transform_an_executor_is_refused(kind, request):
    executor = request.getfixturevalue(kind)
    for outer in (jacfwd, jacrev):
        with pytest.raises(TypeError, match="cannot run under another transform"):
            outer(lambda x: tt.sum(jacobian(watched, executor=executor)(x), axis=0))(X7)
    assert not RAN_ON_A_WORKER  # refused before any work
    # a box in f's closure, not among its arguments
    inner = lambda w: tt.sum(jacfwd(lambda x: w * tt.sin(x), executor=executor)(Y3))  # noqa: E731
    for outer in (jacfwd, grad):
        with pytest.raises(TypeError, match="cannot run under another transform"):
            outer(inner)(np.ones(3))


def test_the_worker_count_is_read_from_the_executor():
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert workers(pool) == 3
    # the way a Dask client's executor tells it: its client's threads per worker
    dask_like = SimpleNamespace(_client=SimpleNamespace(nthreads=lambda: {"tcp://a": 4, "tcp://b": 1}))
    assert workers(dask_like) == 5


def test_an_executor_must_be_one():
    with pytest.raises(TypeError, match="concurrent.futures.Executor"):
        jacobian(layer, executor=2)
