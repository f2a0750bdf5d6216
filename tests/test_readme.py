"""Every Python code block of the README runs, and its table of what is supported
names every public function."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs(code):
    exec(compile(code, str(README), "exec"), {})


def _supported_rows() -> dict[str, set[str]]:
    """The table of "What is supported": namespace (tt, tt.linalg, ...) -> the names in its rows."""
    section = README.read_text().split("## What is supported", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = line.split(" | ")
        if line.startswith("| `") and len(cells) == 3:
            namespace = re.match(r"\| `([\w.]+)`", line).group(1)
            rows.setdefault(namespace, set()).update(re.findall(r"`([\w.]+)`", cells[1]))
    return rows


def test_the_supported_table_names_every_public_function():
    import tinytorch as tt
    import tinytorch.scipy.linalg
    import tinytorch.scipy.signal
    import tinytorch.scipy.special
    import tinytorch.scipy.stats as stats
    from tinytorch.autograd import api

    public = {
        "tt": set(api.__all__) | set(api.INDEX_TRICKS),
        "tt.linalg": set(tt.linalg.__all__),
        "tt.fft": set(tt.fft.__all__),
        "tinytorch.scipy.special": set(tinytorch.scipy.special.__all__),
        "tinytorch.scipy.stats": {f"{d}.{f}" for d in stats.__all__ for f in getattr(stats, d).__all__},
        "tinytorch.scipy.linalg": set(tinytorch.scipy.linalg.__all__),
        "tinytorch.scipy.signal": set(tinytorch.scipy.signal.__all__),
    }
    rows = _supported_rows()
    assert sorted(rows) == sorted(public)
    for namespace, names in public.items():
        assert sorted(names - rows[namespace]) == [], f"{namespace}: public, missing from the README's table"
        assert sorted(rows[namespace] - names) == [], f"{namespace}: in the README's table, not public"
