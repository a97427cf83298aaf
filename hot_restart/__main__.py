"""``python -m hot_restart``: see ``hot_restart.runner``."""

from hot_restart.runner import run

if __name__ == "__main__":
    run()
