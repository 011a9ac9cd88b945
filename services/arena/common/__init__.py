"""Types shared by every service's contract (generated under v1/)."""
