"""backward_graph: the recorded graph as data, in the order backward() visits it."""

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Variable, backward_graph, grad, no_grad


def test_seed_example_graph_and_order():
    x = Variable(5.0, requires_grad=True)
    y = Variable(3.0, requires_grad=True)
    z = x**2 + 2 * x * y + y**3
    graph = backward_graph(z)
    assert graph[0].variable is z and graph[0].op == "add"
    assert sorted(n.op for n in graph) == sorted(
        ["add", "add", "power", "multiply", "multiply", "power", "leaf", "leaf"]
    )
    leaves = [n.variable for n in graph if n.op == "leaf"]
    assert {id(v) for v in leaves} == {id(x), id(y)} and graph[-1].op == graph[-2].op == "leaf"
    # reverse topological: every node comes before each node it passes cotangents to
    for i, node in enumerate(graph):
        assert all(j > i for j in node.inputs)
    # each edge is a real argument: the inputs hold the same values as the Variables
    for node in graph:
        for j in node.inputs:
            assert graph[j].variable.shape == () and np.isfinite(graph[j].variable.item())


def test_shared_input_and_constants():
    x = Variable(np.arange(3.0), requires_grad=True)
    c = np.ones(3)
    graph = backward_graph(tt.sum(x * x + c))
    assert [(n.op, n.inputs, n.shape) for n in graph] == [
        ("sum", (1,), ()),
        ("add", (2,), (3,)),  # the constant passes nothing back
        ("multiply", (3, 3), (3,)),  # both arguments are x: two edges to one node
        ("leaf", (), (3,)),
    ]


def test_number_of_nodes_grows_with_the_chain_and_deep_chains_work():
    x = Variable(0.5, requires_grad=True)
    y = x
    for _ in range(100_000):  # no recursion anywhere
        y = tt.sin(y)
    graph = backward_graph(y)
    assert len(graph) == 100_001 and graph[-1].variable is x
    y.backward()
    assert np.isfinite(x.grad)


def test_refusals():
    with pytest.raises(TypeError, match="takes a Variable"):
        backward_graph(np.ones(2))
    with pytest.raises(ValueError, match="recorded no graph"):
        backward_graph(Variable(1.0))
    x = Variable(1.0, requires_grad=True)
    with no_grad():
        y = x * 2
    with pytest.raises(ValueError, match="recorded no graph"):
        backward_graph(y)
    z = x * 3
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        backward_graph(z)
    w = x * 3
    w.backward(retain_graph=True)
    assert [n.op for n in backward_graph(w)] == ["multiply", "leaf"]


def test_reading_the_graph_changes_nothing():
    x = Variable(np.array([0.3, -1.2]), requires_grad=True)
    y = tt.sum(tt.exp(x) * x)
    backward_graph(y)
    y.backward()
    expected = grad(lambda v: tt.sum(tt.exp(v) * v))(np.array([0.3, -1.2]))  # an independent pass
    np.testing.assert_allclose(x.grad, (1 + x.data) * np.exp(x.data), rtol=1e-15)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-15)
