import asyncio

import hot_restart


async def produce(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i * 10  # fixed


async def consume():
    total = 0
    async for x in produce(4):
        print("got", x)
        total += x
    return total


hot_restart.wrap_module()
if __name__ == "__main__":
    print("total:", asyncio.run(consume()))
