"""Name and place tables for the synthetic data generator (shipped as package data)."""
