"""Models of the workflow app."""
