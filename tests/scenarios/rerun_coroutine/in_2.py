import asyncio


async def ratio(total, count):
    raise StopIteration(total)  # a worse bug: a coroutine's StopIteration leaves it as RuntimeError


async def report(total, count):
    return await ratio(total, count) + 1


if __name__ == "__main__":
    print("result:", asyncio.run(report(10, 0)))
