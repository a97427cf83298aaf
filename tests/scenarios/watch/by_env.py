import hot_restart

hot_restart.install(["app"])  # no watch=: HOT_RESTART_WATCH=1 turns it on

import app  # noqa: E402

print("result:", app.compute(4))
