"""Build step that puts the product's top-level folders into the wheel.

`playbooks/`, `templates/` and the demo audits stay at the top of the repository (the
product's design), and an editable install reads them there. A wheel has no repository, so
`build_py` copies them into `clientbook/_resources/`, where `clientbook.config.resources` finds
them through importlib.resources. Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# (source in the repository, destination under clientbook/_resources/)
BUNDLE = [
    ("playbooks", "playbooks"),
    ("templates", "templates"),
    ("audits/demo.yaml", "audits/demo.yaml"),
    ("audits/demo-zh.yaml", "audits/demo-zh.yaml"),
]
SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the repository's own folders
        dest = Path(self.build_lib) / "clientbook" / "_resources"
        for src, dst in BUNDLE:
            source, target = HERE / src, dest / dst
            if not source.exists():
                raise FileNotFoundError(f"{source} is missing: cannot build the wheel")
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target, ignore=SKIP)
            else:
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildWithResources})
