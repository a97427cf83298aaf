def serve(handler, requests):
    """Like a web server: a failing request is logged, the next one is served."""
    served = []
    for request in requests:
        try:
            served.append(handler(request))
        except Exception as e:
            print("framework caught:", repr(e))
    return served
