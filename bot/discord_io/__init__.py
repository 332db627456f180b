"""The adapter layer: the only package under bot/ that imports discord."""
