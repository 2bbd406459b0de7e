"""Mapping: the MHLM rule (mhlm_mapping) and the mapping.json schema (schema)."""
