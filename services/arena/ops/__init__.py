"""Platform health and debug views, served by every service process through the kit."""
