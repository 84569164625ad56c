"""Organizations and their members: listing, creating, updating and managing membership."""
