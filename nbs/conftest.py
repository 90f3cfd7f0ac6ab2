"""pytest collects the notebooks' tests: `pytest nbs` runs every notebook as one test, each in its own `nbdev_test`
process, the same run as `bash .ci/run` makes (one thread per notebook unless OMP_NUM_THREADS says otherwise).
`pytest nbs -k cli` picks notebooks by name; `pytest nbs --nb-flags slow` also runs the cells flagged `#| slow`."""
import os
import subprocess
import sys
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--nb-flags", default="", help="nbdev test flags whose cells run too, e.g. slow")


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix == ".ipynb" and not file_path.name.startswith(("_", ".")):
        return Notebook.from_parent(parent, path=file_path)


class NotebookFailed(Exception):
    "A notebook whose tests failed; the message is nbdev_test's report (the failing cell and its traceback)."


class Notebook(pytest.File):
    "One notebook: one test item."
    def collect(self):
        yield NotebookTests.from_parent(self, name=self.path.stem)


class NotebookTests(pytest.Item):
    "Every test cell of a notebook, run top to bottom by `nbdev_test --path NOTEBOOK` in a fresh process."
    def runtest(self):
        cmd = [str(Path(sys.executable).parent / "nbdev_test"), "--path", str(self.path)]
        if flags := self.config.getoption("--nb-flags"):
            cmd += ["--flags", flags]
        env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **os.environ}
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.path.parent.parent, env=env)
        if done.returncode:
            raise NotebookFailed(f"{self.path.name}: nbdev_test exited {done.returncode}\n{done.stdout}{done.stderr}")

    def repr_failure(self, excinfo):
        return str(excinfo.value) if isinstance(excinfo.value, NotebookFailed) else super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"notebook {self.path.name}"
