"""Models of the office app."""
