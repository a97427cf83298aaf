import asyncio


async def ratio(total, count):
    return total / count  # the bug: count is 0


async def report(total, count):
    return await ratio(total, count) + 1


if __name__ == "__main__":
    print("result:", asyncio.run(report(10, 0)))
