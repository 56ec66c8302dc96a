"""Duplicates: exact and near (MinHash LSH) copies of stored articles."""
