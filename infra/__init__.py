"""Redis and deployment: the embedded Redis server, its configuration, and deployment files."""
