"""The one error the parser raises: its message is for the user (translated)."""


class DocumentParseError(ValueError):
    """The input is not a readable administrative document; ``str(error)`` says why."""
