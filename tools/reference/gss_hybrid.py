"""GatedStateSpacesHybridLM: lucidrains' GatedStateSpacesLM with chunk-local attention blocks among its GSS
layers — the GSS paper's hybrid ("leveraging self-attention to model local dependencies"), which no public
code implements. ssmc compiles it as arch `gss-hybrid-lm`; this module is its definition, for training.

    from gated_state_spaces_pytorch.gss import GSS       # lucidrains/gated-state-spaces-pytorch (d484cf5)
    model = GatedStateSpacesHybridLM(num_tokens=256, dim=512, depth=8, attn_every=4)

The model: token embedding; `depth` GSS layers (each with its own pre-norm and residual, as in
GatedStateSpacesLM); after every `attn_every`-th GSS layer (layers attn_every-1, 2*attn_every-1, …) an
attention block; to_logits (Linear without bias, no final norm, as GatedStateSpacesLM). The attention block
(ssmc's reading where the paper is not explicit):

    x = x + out_proj(attention(in_proj(LayerNorm(x))))      causal, inside non-overlapping chunks of
                                                           `attn_chunk` positions (512 in the paper)
    x = x + Linear(GELU(Linear(LayerNorm(x))))             hidden width attn_ff_mult * dim

with nn.MultiheadAttention's parameters (`attn.in_proj_weight` [3*dim, dim], `attn.in_proj_bias`,
`attn.out_proj.weight/bias`), `attn_heads` heads. `attn_pos` is the positional scheme inside attention:
'none' (the GSS layers before it carry position; ssmc's default) or 'rotary' (rotary embedding of queries and
keys, half-split pairs: x·cos + rotate_half(x)·sin with rotate_half(x1, x2) = (−x2, x1), angle position·θ_i,
θ_i = 10000^(−2i/head_dim)). Rotary angles use the position inside the chunk: attention never crosses a chunk,
and rotary scores depend only on the distance between query and key, so this equals absolute positions in
exact arithmetic while keeping the angles small (float32 cos/sin of large angles lose digits).
State-dict names: `token_emb.weight`, `layers.{i}.*` (GSS), `attns.{i}.{attn_norm,attn,ff_norm,ff}.*` for the
GSS layer i it follows, `to_logits.weight`.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


def chunk_mask(seq_len, chunk, device=None):
    """True where query t may NOT attend key s: s > t, or s in another chunk (chunk 0: full causal)."""
    t = torch.arange(seq_len, device=device)
    blocked = t[None, :] > t[:, None]
    if chunk > 0:
        blocked = blocked | (t[None, :] // chunk != t[:, None] // chunk)
    return blocked


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rotary(x, positions):
    """x [..., L, d] rotated by positions [L] (half-split pairs)."""
    d = x.shape[-1]
    theta = 10000.0 ** (-torch.arange(0, d // 2, dtype=x.dtype, device=x.device) * 2 / d)
    angle = positions.to(x.dtype)[:, None] * theta[None, :]
    cos = torch.cat((angle.cos(), angle.cos()), dim=-1)
    sin = torch.cat((angle.sin(), angle.sin()), dim=-1)
    return x * cos + rotate_half(x) * sin


class ChunkedAttentionBlock(nn.Module):
    def __init__(self, dim, heads=8, chunk=512, pos="none", ff_mult=4):
        super().__init__()
        assert dim % heads == 0, "heads must divide dim"
        assert pos in ("none", "rotary")
        assert pos == "none" or (dim // heads) % 2 == 0, "rotary needs an even head width"
        self.heads, self.chunk, self.pos = heads, chunk, pos
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, bias=True, batch_first=True)
        self.ff_norm = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff_mult * dim), nn.GELU(), nn.Linear(ff_mult * dim, dim))

    def attention(self, h):
        b, L, dim = h.shape
        mask = chunk_mask(L, self.chunk, h.device)
        if self.pos == "none":
            y, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
            return y
        dh = dim // self.heads
        q, k, v = F.linear(h, self.attn.in_proj_weight, self.attn.in_proj_bias).chunk(3, dim=-1)
        q, k, v = (t.reshape(b, L, self.heads, dh).transpose(1, 2) for t in (q, k, v))
        t = torch.arange(L, device=h.device)
        within = t % self.chunk if self.chunk > 0 else t
        q, k = rotary(q, within), rotary(k, within)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        scores = scores.masked_fill(mask, float("-inf"))
        y = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, L, dim)
        return self.attn.out_proj(y)

    def forward(self, x):
        x = x + self.attention(self.attn_norm(x))
        return x + self.ff(self.ff_norm(x))


class GatedStateSpacesHybridLM(nn.Module):
    def __init__(self, *, num_tokens, dim, depth, dim_expansion_factor=4, dss_kernel_N=512, dss_kernel_H=256,
                 dss_kernel_lambda_imag_exp=True, attn_every=4, attn_heads=8, attn_chunk=512, attn_pos="none",
                 attn_ff_mult=4):
        super().__init__()
        from gated_state_spaces_pytorch.gss import GSS

        self.token_emb = nn.Embedding(num_tokens, dim)
        self.layers = nn.ModuleList([
            GSS(dim=dim, dss_kernel_H=dss_kernel_H, dss_kernel_N=dss_kernel_N, dim_expansion_factor=dim_expansion_factor,
                dss_kernel_lambda_imag_exp=dss_kernel_lambda_imag_exp)
            for _ in range(depth)
        ])
        self.attns = nn.ModuleDict({
            str(i): ChunkedAttentionBlock(dim, attn_heads, attn_chunk, attn_pos, attn_ff_mult)
            for i in range(depth) if (i + 1) % attn_every == 0
        })
        self.to_logits = nn.Linear(dim, num_tokens, bias=False)

    def forward(self, x):
        x = self.token_emb(x)
        for i, gss in enumerate(self.layers):
            x = gss(x)
            if str(i) in self.attns:
                x = self.attns[str(i)](x)
        return self.to_logits(x)
