def handle(request):
    return 100 // request  # the bug: request 0
