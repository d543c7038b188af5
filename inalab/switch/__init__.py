"""inalab.switch."""
