"""chapters/complexity."""
