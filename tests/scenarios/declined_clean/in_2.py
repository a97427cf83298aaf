import pickle


def inner(x):
    raise ValueError("bad", x)


def outer():
    try:
        inner(3)
    except ValueError as e:
        # What the program sees of the exception after `q` at the prompt.
        print("vars:", sorted(vars(e)))
        print("pickled:", pickle.loads(pickle.dumps(e)).__dict__)


outer()
