"""Ports: the Protocols that adapters implement."""
