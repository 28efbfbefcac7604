"""Accuracy and speed, measured on generated data and beside peers."""
