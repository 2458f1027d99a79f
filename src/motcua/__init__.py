"""MotCua: online public services and one-stop office system for a Vietnamese province."""

__version__ = "0.1.0"
