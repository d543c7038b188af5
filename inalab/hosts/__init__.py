"""inalab.hosts."""
