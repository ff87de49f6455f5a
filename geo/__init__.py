"""Pure geospatial domain logic for Territory Mapper.

Nothing here imports a web framework, pydantic, SQLAlchemy or a database
driver: `service/` calls in, never the other way round.
"""
