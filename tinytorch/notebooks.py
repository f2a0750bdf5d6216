"""The analysis notebooks (notebooks/ in a checkout): find them by name and execute them.

`tito notebooks [NAME ...]` re-executes them in place, so that their committed outputs
come from one clean top-to-bottom run; the test suite executes copies. Needs the
notebook tools: pip install -e ".[notebooks]" (included in ".[dev]").
"""

from __future__ import annotations

from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def available() -> list[Path]:
    """The notebooks of the checkout, in their numbered order."""
    if not NOTEBOOKS.is_dir():
        raise FileNotFoundError(f"no notebooks/ folder next to the package ({NOTEBOOKS}); run from a checkout")
    return sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))


def find(names: list[str]) -> list[Path]:
    """The notebooks named: by file stem (01_build_autograd), number (01) or title (build_autograd)."""
    every = available()
    if not names:
        return every
    found, unknown = [], []
    for name in names:
        matches = [p for p in every if name in (p.stem, p.stem.split("_", 1)[0], p.stem.split("_", 1)[-1])]
        (found.extend(matches) if matches else unknown.append(name))
    if unknown:
        known = ", ".join(p.stem for p in every)
        raise LookupError(f"no notebook named {', '.join(unknown)}; known: {known}")
    return found


def execute(path: Path, save_to: Path | None = None, timeout: int = 600) -> None:
    """Run the notebook at `path` top to bottom in a fresh kernel, its working directory
    notebooks/, and write it with its outputs to `save_to` (default: in place).
    A cell that raises (a failed assertion too) raises nbclient's CellExecutionError, which
    names the cell; then nothing is written, so a failed run never replaces a committed notebook."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,  # no timestamps in the committed files
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises before anything is written
    nbformat.write(notebook, save_to or path)
