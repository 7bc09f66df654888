"""chapters/infrastructure."""
