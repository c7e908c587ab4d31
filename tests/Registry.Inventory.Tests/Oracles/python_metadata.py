"""Prints, for every installed Python distribution Python itself finds, the metadata file and what Python reads in it.

Python's own reader (importlib.metadata, i.e. the email header parser) is the oracle; the name is normalised as PEP 503
states it: re.sub(r"[-_.]+", "-", name).lower().
"""
import importlib.metadata
import pathlib
import re
import sys

paths = sys.argv[1:]
for dist in importlib.metadata.distributions(path=paths):
    base = pathlib.Path(dist._path)
    if base.is_file():
        file = base
    elif (base / "METADATA").is_file():
        file = base / "METADATA"
    elif (base / "PKG-INFO").is_file():
        file = base / "PKG-INFO"
    else:
        continue
    name = dist.metadata["Name"]
    version = dist.metadata["Version"]
    if not name or not version:
        continue
    print("\t".join([str(file), re.sub(r"[-_.]+", "-", name).lower(), version]))
