import hot_restart


def parse(text):
    return int(text) / 0  # the bug


class Parser:
    def run(self, text):
        return parse(text)


hot_restart.wrap_module()
