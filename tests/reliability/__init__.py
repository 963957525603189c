"""Helpers of the reliability tests (tests/test_crash_safety.py, test_concurrency.py, test_file_changes.py,
test_personal_data.py): the `hoso` CLI as a subprocess, table fingerprints, the grown landing folder."""
