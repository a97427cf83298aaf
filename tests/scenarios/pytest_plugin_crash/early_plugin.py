# Loaded with `-p early_plugin`, before any entry-point plugin: it imports
# the code under test before hot_restart's hook can exist.
import mylib.core  # noqa: F401
