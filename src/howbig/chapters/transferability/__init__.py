"""chapters/transferability."""
