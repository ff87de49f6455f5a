"""Flags on a plan: overlaps, clipping, coverage gaps, rule clashes, accounts too far."""
