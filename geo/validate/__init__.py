"""The geometry gate: raw GeoJSON arrays, topology, storage grid, points."""
