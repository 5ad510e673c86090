"""The one error type for people: a mistake in a parameter, a file or a name.

The command line prints it as one line (`regnet train: error: ...`) and exits 2, so every
layer raises it for anything a user can fix, and keeps tracebacks for bugs.
"""


class ParamError(ValueError):
    """A user's mistake in a parameter, a file or a name: printed as one line, exit status 2."""
