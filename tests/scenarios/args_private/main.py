import hot_restart

hot_restart.install(["app"])

import app  # noqa: E402

if __name__ == "__main__":
    app.main()
