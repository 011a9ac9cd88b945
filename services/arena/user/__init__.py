"""The user service: accounts, password hashes, roles, sessions and the token signing keys."""
