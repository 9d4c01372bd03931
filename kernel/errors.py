"""The one exception type that reaches a user: its message names what is wrong and what to do."""


class LwwError(Exception):
    """A clear, one-line, user-facing error (bad input, missing data, refused operation)."""
