"""A module that names what it no longer has (PEP 562), as libraries do for deprecations."""

VERSION = 3


def __getattr__(name):
    raise AttributeError(f"module 'legacy' has no attribute {name!r}")
