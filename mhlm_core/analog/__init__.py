"""aihwkit deployment: the paper rpu_config, programming, drift, repeated evaluation."""
