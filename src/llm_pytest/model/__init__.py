"""What the stages pass on: plans, traces, verdicts, judge requests, outcome statistics."""
