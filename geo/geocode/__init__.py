"""Offline geocoding: the geocoder and its gazetteers."""
