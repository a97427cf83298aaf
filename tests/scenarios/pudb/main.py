import hot_restart

hot_restart.install(["app"])

import app  # noqa: E402

print("result:", app.compute(4))
