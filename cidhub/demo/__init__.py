"""The story `make demo` tells (`ape run demo`): nothing outside this package imports it."""
