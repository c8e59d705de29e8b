"""wirewatch alerter service."""
