"""From records to candidate pairs: normalisation, blocking keys, vector index."""
