"""The customer's data rights: export everything kept, erase it."""
