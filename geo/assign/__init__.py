"""Assignment: the owner rule, the point index and its cell grid, re-assignment regions."""
