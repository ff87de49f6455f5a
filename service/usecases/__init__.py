"""One call per write route, and the reads the analyses share."""
