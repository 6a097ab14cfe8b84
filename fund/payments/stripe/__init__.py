"""The only package that imports the stripe library."""
