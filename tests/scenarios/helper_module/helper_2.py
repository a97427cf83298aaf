import hot_restart


def parse(text):
    return int(text) * 2  # fixed


class Parser:
    def run(self, text):
        return parse(text)


hot_restart.wrap_module()
