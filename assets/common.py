"""Small helpers the asset modules share."""


from dagster import AssetExecutionContext

from pipelines.partitions import DAILY


def partition_keys(context: AssetExecutionContext) -> list[str]:
    """The partition keys of this run (a single key, or a backfill range run as one)."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return []
    r = context.partition_key_range
    return DAILY.get_partition_keys_in_range(r)
