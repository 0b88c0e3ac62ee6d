"""Page builders, one module per layer's view."""
