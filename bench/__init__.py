"""Benchmarks and calibration scripts; run each as `python bench/NAME.py`."""
