"""pytest11 entry point; registers options and delegates every hook."""
