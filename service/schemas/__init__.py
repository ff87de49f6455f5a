"""Request and response models (pydantic); GeoJSON via geojson-pydantic."""
