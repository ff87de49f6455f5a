"""HTML dashboards of the territory plan."""
