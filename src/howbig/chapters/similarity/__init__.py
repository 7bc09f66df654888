"""chapters/similarity."""
