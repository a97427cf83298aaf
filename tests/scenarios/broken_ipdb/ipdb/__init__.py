"""Stands in for an installed ipdb that fails to import."""

raise ImportError("ipdb is broken here")
