"""Dagster asset definitions, one module per stage; each is a thin wrapper over the plain functions of stages/ and
warehouse/. The assets are the warehouse's tables (keys [schema, table]); the resources and the partitions they
take are declared here too (pipelines/ only assembles them)."""
