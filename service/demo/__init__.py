"""The demo data set that ``territory serve --demo`` seeds."""
