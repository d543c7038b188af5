"""inalab.controller."""
