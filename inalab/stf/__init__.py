"""inalab.stf."""
