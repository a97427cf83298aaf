import hot_restart

hot_restart.install(["app"], watch=True)

import app  # noqa: E402

print("result:", app.compute(4))
