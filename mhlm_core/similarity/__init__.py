"""Feature similarity (JSD) and importance (Shapley) per layer."""
