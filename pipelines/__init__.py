"""The Dagster code location of hoso-warehouse: one Definitions (definitions.py) assembling the assets with the jobs,
the sensor, the schedule and the resources."""
