"""The sample world: a deterministic generator of the landing folder (docs/data-contracts.md §1) that reproduces
the report of 08/08/2025 from records (DATA_WORLD.md). Entry point: samples.generate.generate_world."""
