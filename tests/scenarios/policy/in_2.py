def handle(request):
    return 100 // (request + 1)
