"""Task types beyond per-sample classification (dense prediction: segmentation, detection)."""
