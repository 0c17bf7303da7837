"""The benchmark harness behind ``bench/run``: servers, load, memory, report.

Every figure is a ratio against a peer measured in the same run on the same machine;
absolute numbers are kept in the results only to show what the ratios were made of.
"""
