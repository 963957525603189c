"""The Dagster code location of hoso-warehouse: definitions, resources, jobs, schedules, sensors and the `hoso` CLI."""
