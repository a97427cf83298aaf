import hot_restart

TEMPLATE = '''
def compute(x):
    return -1
'''

def compute(x):
    return x * 2 // 0  # the bug


hot_restart.wrap_module()

if __name__ == "__main__":
    print("result:", compute(21))
