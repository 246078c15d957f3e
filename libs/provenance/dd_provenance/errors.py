"""The one exception our parsers raise for a section they cannot read."""


class Unreadable(Exception):
    """A section is present but could not be read within our bounds; str() says why."""
