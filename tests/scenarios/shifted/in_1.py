import sys
import traceback

import hot_restart


def where():
    line = sys._getframe().f_lineno
    tb_line = traceback.extract_stack(limit=1)[0].lineno
    return line, tb_line, 1 / 0  # the bug


hot_restart.wrap_module()

if __name__ == "__main__":
    print("where:", where())
    print("again:", where())
