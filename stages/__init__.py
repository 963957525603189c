"""The pipeline's stages as plain functions (extract, validate), tested without Dagster; assets/ wraps them."""
