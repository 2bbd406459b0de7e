"""`vit-tiny`: torchvision's ViT encoder blocks in a small configuration (patch 8, 6 blocks,
3 heads, width 192, MLP 768), no class token (classification pools the tokens).

Every mappable layer maps (B, D, h, w) -> (B, D, h, w) so descriptors, heads and the mapping
treat it like a conv backbone: layer 0 is the patch embedding (+ position embedding), layers
1..6 the encoder blocks. torchvision's `nn.MultiheadAttention` keeps q/k/v in one raw
parameter that aihwkit does not convert, so it is replaced by `Attention`, whose projections
are `nn.Linear` (weight-stationary, analog-capable); the attention products QK^T and AV are
not weight-stationary and are counted as digital MACs."""
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.vision_transformer import EncoderBlock

from .heads import pooled_linear

CONFIG = {"patch_size": 8, "num_layers": 6, "num_heads": 3, "hidden_dim": 192, "mlp_dim": 768}


class Attention(nn.Module):
    """Multi-head self-attention with Linear projections; called like nn.MultiheadAttention."""

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, key=None, value=None, need_weights=False):
        B, N, D = x.shape
        q, k, v = self.qkv(x).view(B, N, 3, self.num_heads, D // self.num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, N, D)
        return self.proj(out), None

    @staticmethod
    def digital_macs(x):
        """QK^T and AV products per sample: 2 * N^2 * D."""
        _, N, D = x.shape
        return 2 * N * N * D


class PatchEmbed(nn.Module):
    def __init__(self, in_ch, dim, patch, grid):
        super().__init__()
        self.conv_proj = nn.Conv2d(in_ch, dim, patch, stride=patch)
        self.pos_embedding = nn.Parameter(torch.empty(1, dim, *grid).normal_(std=0.02))

    def forward(self, x):
        return self.conv_proj(x) + self.pos_embedding


class Block(nn.Module):
    """A torchvision EncoderBlock on (B, D, h, w) feature maps."""

    def __init__(self, dim, heads, mlp_dim):
        super().__init__()
        self.block = EncoderBlock(heads, dim, mlp_dim, dropout=0.0, attention_dropout=0.0)
        self.block.self_attention = Attention(dim, heads)

    def forward(self, x):
        B, D, h, w = x.shape
        y = self.block(x.flatten(2).transpose(1, 2))
        return y.transpose(1, 2).reshape(B, D, h, w)


def make_layers(input_shape, **_):
    from .. import MHLMError
    c = CONFIG
    if len(input_shape) != 3 or input_shape[1] % c["patch_size"] or input_shape[2] % c["patch_size"]:
        raise MHLMError(f"vit-tiny needs (C, H, W) images with H, W multiples of {c['patch_size']}; got {input_shape}")
    grid = (input_shape[1] // c["patch_size"], input_shape[2] // c["patch_size"])
    layers = [("embed", PatchEmbed(input_shape[0], c["hidden_dim"], c["patch_size"], grid))]
    layers += [(f"block{i + 1}", Block(c["hidden_dim"], c["num_heads"], c["mlp_dim"])) for i in range(c["num_layers"])]
    return layers


make_head = pooled_linear
