"""The spec language front end: text → validated spec → compiled plan."""
