"""AssetRegistry contract tests (a package, so module names cannot clash with other suites)."""
