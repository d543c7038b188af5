"""inalab.switch.p4runtime."""
