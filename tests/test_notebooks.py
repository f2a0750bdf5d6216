"""The analysis notebooks: each runs top to bottom (a copy, executed here), and the
committed files are one clean run with their figures and nothing of the machine."""

import json
import re

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from tinytorch import notebooks

EXPECTED = [
    "01_build_autograd",
    "02_training",
    "03_forward_sensitivity",
    "04_jacobians_hessians",
    "05_analyze_cost_memory",
]
PATHS = notebooks.available()
# absolute paths of a machine: POSIX homes and system folders, Windows drives
MACHINE_PATH = re.compile(r"(/home/|/root/|/Users/|/tmp/|/work/|/usr/|/opt/|site-packages|[A-Z]:\\\\)")


def test_the_five_notebooks_are_there():
    assert [p.stem for p in PATHS][: len(EXPECTED)] == EXPECTED


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_top_to_bottom(path, tmp_path):
    notebooks.execute(path, save_to=tmp_path / path.name)  # raises on any error or failed assertion


def test_a_failed_run_writes_nothing(tmp_path):
    path, copy = tmp_path / "failing.ipynb", tmp_path / "copy.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("assert x == 2, 'fails'")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    committed = path.read_bytes()
    with pytest.raises(CellExecutionError, match="fails"):
        notebooks.execute(path)  # in place
    assert path.read_bytes() == committed, "a failed run overwrote the notebook"
    with pytest.raises(CellExecutionError, match="fails"):
        notebooks.execute(path, save_to=copy)
    assert not copy.exists()


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_committed_notebook_is_one_clean_run(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), "not one top-to-bottom run"
    outputs = [output for cell in code for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure"
    text = json.dumps(outputs)
    found = MACHINE_PATH.search(text)
    assert found is None, f"an output shows a path of its machine: {text[found.start() - 60 : found.end() + 60]}"
    first, last = notebook.cells[0], notebook.cells[-1]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "opens with a title"
    assert "learned" in (last.source + json.dumps(last.get("outputs", []))).lower(), "ends with what was learned"
