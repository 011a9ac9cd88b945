"""The execution service: the sandboxed judge: runs, submissions and verdicts."""
