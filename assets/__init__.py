"""Dagster asset definitions, one module per stage; each is a thin wrapper over the plain functions of stages/ and
warehouse/."""
