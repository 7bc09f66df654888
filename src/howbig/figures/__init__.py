"""Figures: one module per chapter, one function per paper figure, a shared style."""
