"""Optional local weights for a torchvision backbone (never downloaded; weights_only load)."""
from pathlib import Path

import torch

from .. import MHLMError


def load_local(module, path):
    """Load a state dict file into `module`, keeping only keys whose shapes match.
    Returns the number of tensors loaded; raises MHLMError for a missing or unsafe file."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise MHLMError(f"backbone weights: file not found: {p}")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling problem is a user-file problem
        raise MHLMError(f"backbone weights: {p.name} is not a PyTorch state-dict file of plain tensors "
                        f"({type(err).__name__})") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    own = module.state_dict()
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not usable:
        raise MHLMError(f"backbone weights: no tensor of {p.name} matches the backbone")
    module.load_state_dict(usable, strict=False)
    return len(usable)
