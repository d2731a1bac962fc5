"""Packaging: the folders engine/ and tui/ install as `genstep.engine` and `genstep.tui`, so
`pip install genstep` adds one top-level name, `genstep`, to an environment (its public API is
genstep/__init__.py). Sub-packages are found, not listed: adding a family or a view is new files,
never an edit here. Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

packages = ["genstep", "genstep.engine.scenarios"]
package_dir = {"genstep": "genstep", "genstep.engine.scenarios": "scenarios"}
for folder in ("engine", "tui"):
    packages.append(f"genstep.{folder}")
    package_dir[f"genstep.{folder}"] = folder
    packages += [f"genstep.{folder}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=package_dir)
