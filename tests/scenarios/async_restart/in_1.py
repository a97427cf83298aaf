import asyncio

import hot_restart


async def fetch(x):
    await asyncio.sleep(0)
    return 100 // (x - 3)  # the bug


async def main():
    direct = await fetch(3)
    print("direct:", direct)
    task = asyncio.create_task(fetch(3))
    print("task:", await task)


hot_restart.wrap_module()
if __name__ == "__main__":
    asyncio.run(main())
