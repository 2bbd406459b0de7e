"""Reports: the paper Table 1, drift curves, results.json."""
