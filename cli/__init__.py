"""The `hoso` command line: runs the jobs of the one Definitions (pipelines/definitions.py) through public Dagster
APIs, with its progress as it happens."""
