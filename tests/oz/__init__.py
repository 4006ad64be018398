"""Test infrastructure for checking cidhub's contracts against real OpenZeppelin clients."""
