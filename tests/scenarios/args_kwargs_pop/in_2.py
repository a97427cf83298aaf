def connect(host, **options):
    timeout = options.pop("timeout", 30)
    retries = options.pop("retries", 1)
    print("connect sees", timeout, retries, sorted(options))
    return f"{host} timeout={timeout} retries={retries}"


def main():
    print("result:", connect("db", timeout=5, retries=0))
