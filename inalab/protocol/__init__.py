"""inalab.protocol."""
