"""`python -m token_emulator.fixture_schemas`: write each fixture file's JSON Schema again."""

from token_emulator.fixture_schemas import write_all

for path in write_all():
    print(path)
