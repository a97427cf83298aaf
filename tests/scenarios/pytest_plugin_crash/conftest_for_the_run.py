# Copied to conftest.py by the test (a conftest.py here would be loaded by
# the outer test run).  It imports the code under test before pytest_configure:
# the plugin must have installed its hook earlier for mylib.core to be
# instrumented.
from mylib.core import ratio  # noqa: F401
