"""Exceptions the public API raises; kept import-free for a cheap import."""


class ReloadException(ValueError):
    """A function could not be rebuilt from its source file.

    Its message is one line, names the function or file and says what to do;
    the previous version of the function stays in use.
    """
