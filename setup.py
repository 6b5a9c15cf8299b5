"""Maps the repository's top-level folders under one `kkr` namespace.

`platform/` would shadow Python's standard `platform` module if it were a
top-level package, so it is installed as `kkr.platform` (likewise `kkr.schema`
and `kkr.migrations`).  The mapped folders have no `__init__.py` of their own;
sub-packages are discovered, so a new `schema/<domain>/` needs no edit here.
Package data: the SQL files beside the migrations (e.g. `migrations/versions/0009_aggregates/*.sql`, read
by their migration with a path relative to it; the folder is found as a namespace sub-package).
Everything else about the distribution is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {"kkr.platform": "platform", "kkr.schema": "schema", "kkr.migrations": "migrations"}


def packages() -> list[str]:
    found = []
    for namespace, folder in ROOTS.items():
        found.append(namespace)
        found += [f"{namespace}.{sub}" for sub in find_namespace_packages(where=folder, exclude=["*__pycache__*"])]
    return found


setup(package_dir=ROOTS, packages=packages(), package_data={"kkr.migrations": ["versions/*/*.sql"]})
