"""The shade catalogue for the admin: sources and their shades, imports that replace one source, export, delete."""
