"""The interpreter: one step walker that runs compiled plans into traces, for every mode."""
