import os

import helper

print("CHILD", os.environ.get("HOT_RESTART_PATTERNS") is not None, helper.compute(3))
