# Five lines were added at the top of the file
# while the program was stopped in the debugger,
# so every line of where() has moved down by five.
import os  # noqa: F401
import collections  # noqa: F401
import sys
import traceback

import hot_restart


def where():
    line = sys._getframe().f_lineno  # LINE-A
    tb_line = traceback.extract_stack(limit=1)[0].lineno  # LINE-B
    return line, tb_line  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("where:", where())
    print("again:", where())
