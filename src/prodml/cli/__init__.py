"""The ``prodml`` command line: thin typer commands over :class:`prodml.Project`."""
