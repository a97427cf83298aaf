import os

import hot_restart

hot_restart.install(["app"])

import app  # noqa: E402

os.environ["HOT_RESTART_WATCH"] = "1"  # after start-up: read again when the crash prompts
print("result:", app.compute(4))
