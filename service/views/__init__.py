"""Domain objects shaped into API answers (JSON and HTML pages)."""
