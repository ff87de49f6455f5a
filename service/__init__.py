"""Territory Mapper's web service: API, storage, auth and CLI."""

__version__ = "0.1.0"
