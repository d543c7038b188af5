"""inalab.compiler."""
