"""Stands in for an installed IPython that fails to import."""

raise ImportError("IPython is broken here")
