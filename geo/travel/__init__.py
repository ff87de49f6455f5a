"""Travel: settings and visits, distance matrices, tours, day packing and plans, load."""
