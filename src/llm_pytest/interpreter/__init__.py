"""The interpreter: runs compiled plans, records traces, decides outcomes."""
