import hot_restart

TEMPLATE = '''
def compute(x):
    return -1
'''

# Lines added between the template and the function:
# the template's def line is now nearer to where
# compute was than compute itself.
#
#


def compute(x):
    return x * 2  # fixed


hot_restart.wrap_module()

if __name__ == "__main__":
    print("result:", compute(21))
