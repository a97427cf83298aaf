def run(job, **options):
    retries = options.pop("retries", 3)
    job = job.strip()
    print("run sees", repr(job), retries, sorted(options))
    return attempt(job, retries)


def attempt(job, tries):
    assert tries > 0, f"no tries left for {job}"
    return f"{job} x{tries}"


def main():
    print("result:", run("  backup ", retries=2, verbose=True))
