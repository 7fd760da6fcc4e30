"""The dependency contract (.importlinter) holds: imports point one way, from the project
wiring down through tracking, booking, payments and fleet to the ttms core, and no app
reaches another's views. `make lint` runs the same check; this keeps the suite honest when
only the tests are run."""

from pathlib import Path

from importlinter.application.use_cases import lint_imports
from importlinter.configuration import configure

ROOT = Path(__file__).resolve().parents[2]


def test_imports_keep_the_dependency_contract(monkeypatch):
    configure()  # what the lint-imports command does first: the readers and reporters
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))
    assert (
        lint_imports(config_filename=str(ROOT / ".importlinter"), cache_dir=None, no_logo=True)
        is True
    )
