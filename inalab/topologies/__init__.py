"""inalab.topologies."""
