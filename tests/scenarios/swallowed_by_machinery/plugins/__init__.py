"""A package naming what it no longer has (PEP 562); its submodules import as usual."""


def __getattr__(name):
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
