"""A stand-in for pudb: records the call, then plays the user fixing the file."""

import shutil
import sys


def post_mortem(tb=None, e_type=None, e_value=None):
    print(f"FAKE PUDB post_mortem {e_type.__name__} at line {tb.tb_next.tb_lineno if tb.tb_next else tb.tb_lineno}")
    shutil.copy("in_2.py", "prog.py")  # the user edits, then continues
