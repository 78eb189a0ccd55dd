"""Where the emulator relies on what a library does beyond its documented API: one module
per library, each naming the releases it was checked against (the range pyproject.toml
allows, held equal by tests/test_layering.py). A new release outside the range is
checked here first."""
