"""Hardware-aware training: weight noise, joint KL loss, the training loop."""
