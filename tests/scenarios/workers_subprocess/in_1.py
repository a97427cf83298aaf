"""The program runs another Python, with no terminal on its stdin."""

import subprocess
import sys


def main():
    done = subprocess.run([sys.executable, "child.py"], stdin=subprocess.DEVNULL)
    print("PARENT DONE", done.returncode)


if __name__ == "__main__":
    main()
