import asyncio

import hot_restart

attempts = []


@hot_restart.wrap
async def fetch(x):
    attempts.append(x)
    await asyncio.sleep(0)  # suspends once before the bug
    return x * 10  # fixed


async def main():
    first = await fetch(4)
    second = await fetch(5)
    print("results:", first, second)
    print("attempts:", attempts)


if __name__ == "__main__":
    asyncio.run(main())
