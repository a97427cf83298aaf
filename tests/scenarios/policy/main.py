import sys

import hot_restart

hot_restart.install(["app.*"], stop_on=sys.argv[1] if len(sys.argv) > 1 else None)

import framework  # noqa: E402  (not instrumented: a stand-in for a web framework)
from app import handlers, parser  # noqa: E402

if __name__ == "__main__":
    numbers = parser.parse("1 2 x 3 y 4 " * 200)
    print("parsed:", len(numbers), "numbers")
    print("lookups:", parser.lookups(["a", "b", "zz"] * 100))
    print("served:", framework.serve(handlers.handle, [1, 2, 0, 4]))
