def run(job, **options):
    retries = options.pop("retries", 3)
    job = job.strip()
    return attempt(job, retries - 2)  # the real bug: the caller passes a wrong count


def attempt(job, tries):
    assert tries > 0, f"no tries left for {job}"
    return f"{job} x{tries}"


def main():
    print("result:", run("  backup ", retries=2, verbose=True))
