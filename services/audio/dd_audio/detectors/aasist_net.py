"""The AASIST network (Jung et al., ICASSP 2022, arXiv 2110.01200), written from the paper.

Raw 16 kHz waveform -> fixed mel-spaced sinc band-pass filters -> |.| and 3x3 max-pool ->
six residual 2-D conv blocks -> a spectral graph (one node per sub-band) and a temporal
graph (one node per frame), each a graph-attention layer + graph pooling -> two parallel
heterogeneous stacking graph-attention branches (HS-GAL) that mix the two graphs through a
learnable master node -> element-wise max of the branches -> readout -> 2 logits
(index 1 = bona fide).

Module and parameter names follow the authors' released checkpoints (clovaai/aasist), so
``AASIST.pth`` and ``AASIST-L.pth`` load with ``strict=True``. Where the released code
differs from the paper, we follow the code, because that is what the weights were trained
with; each such place is marked "checkpoint behaviour".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

SAMPLE_RATE = 16_000
SEGMENT_SAMPLES = 64_600  # ~4.04 s: the input length AASIST was trained on


@dataclass(frozen=True)
class AasistConfig:
    """The ``model_config`` block of the authors' ``.conf`` files."""

    nb_samp: int
    first_conv: int
    filts: tuple[int | tuple[int, int], ...]
    gat_dims: tuple[int, int]
    pool_ratios: tuple[float, float, float, float]
    temperatures: tuple[float, float, float, float]

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AasistConfig:
        filts: list[int | tuple[int, int]] = [int(raw["filts"][0])]
        filts += [(int(a), int(b)) for a, b in raw["filts"][1:]]
        if len(filts) != 5:
            raise ValueError(f"AASIST expects 5 'filts' entries, got {len(filts)}")
        gat = [int(v) for v in raw["gat_dims"]]
        pools = [float(v) for v in raw["pool_ratios"]]
        temps = [float(v) for v in raw["temperatures"]]
        return cls(
            nb_samp=int(raw["nb_samp"]),
            first_conv=int(raw["first_conv"]),
            filts=tuple(filts),
            gat_dims=(gat[0], gat[1]),
            pool_ratios=(pools[0], pools[1], pools[2], pools[3]),
            temperatures=(temps[0], temps[1], temps[2], temps[3]),
        )

    def block_channels(self, index: int) -> tuple[int, int]:
        value = self.filts[index]
        assert isinstance(value, tuple)
        return value


def mel_sinc_filters(n_filters: int, kernel_size: int, sample_rate: int) -> Tensor:
    """Fixed (not learned) band-pass sinc filters with mel-spaced edges, Hamming-windowed.

    Edges split the mel range of [0, sr/2] evenly, as in the released front end. Computed
    once here: the reference recomputes and copies them on every forward call.
    """
    if kernel_size % 2 == 0:
        kernel_size += 1  # symmetric (odd) filters, as the paper's front end forces
    nyquist_grid = (sample_rate // 2) * np.linspace(0.0, 1.0, 257)
    mel = 2595.0 * np.log10(1.0 + nyquist_grid / 700.0)
    edges_mel = np.linspace(mel.min(), mel.max(), n_filters + 1)
    edges_hz = 700.0 * (10.0 ** (edges_mel / 2595.0) - 1.0)
    half = (kernel_size - 1) / 2
    taps = np.arange(-half, half + 1, dtype=np.float64)
    window = np.hamming(kernel_size)
    bank = np.empty((n_filters, kernel_size), dtype=np.float64)
    for i in range(n_filters):
        low, high = edges_hz[i], edges_hz[i + 1]
        high_pass = (2 * high / sample_rate) * np.sinc(2 * high * taps / sample_rate)
        low_pass = (2 * low / sample_rate) * np.sinc(2 * low * taps / sample_rate)
        bank[i] = window * (high_pass - low_pass)
    return torch.from_numpy(bank.astype(np.float32)).unsqueeze(1)


class SincFrontEnd(nn.Module):
    """Convolution of the waveform with the fixed sinc bank (no bias, stride 1)."""

    filters: Tensor

    def __init__(self, n_filters: int, kernel_size: int, sample_rate: int = SAMPLE_RATE):
        super().__init__()
        # Non-persistent: derived from the config, so it is not (and must not be) in the
        # checkpoint, and strict loading still sees every stored tensor matched.
        self.register_buffer(
            "filters", mel_sinc_filters(n_filters, kernel_size, sample_rate), persistent=False
        )

    def forward(self, wave: Tensor) -> Tensor:  # (B, T) -> (B, n_filters, T')
        return F.conv1d(wave.unsqueeze(1), self.filters)


class ResidualBlock(nn.Module):
    """Two (2, 3) convolutions with a residual path, then max-pool over time by 3."""

    def __init__(self, in_ch: int, out_ch: int, first: bool = False):
        super().__init__()
        if not first:
            # Checkpoint behaviour: the released forward computes bn1(x) but then feeds the
            # raw x to conv1, so bn1 has weights (and must exist to load them) yet no effect.
            self.bn1 = nn.BatchNorm2d(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, kernel_size=(2, 3), padding=(1, 1))
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, kernel_size=(2, 3), padding=(0, 1))
        self.conv_downsample: nn.Conv2d | None = None
        if in_ch != out_ch:
            self.conv_downsample = nn.Conv2d(in_ch, out_ch, kernel_size=(1, 3), padding=(0, 1))

    def forward(self, x: Tensor) -> Tensor:
        out = F.selu(self.bn2(self.conv1(x)))
        out = self.conv2(out)
        identity = x if self.conv_downsample is None else self.conv_downsample(x)
        return F.max_pool2d(out + identity, (1, 3))


def _xavier(*size: int) -> nn.Parameter:
    param = nn.Parameter(torch.empty(*size))
    nn.init.xavier_normal_(param)
    return param


def _node_bn(bn: nn.BatchNorm1d, x: Tensor) -> Tensor:
    """Batch-norm over the feature axis of (B, N, D) node features."""
    shape = x.shape
    return bn(x.reshape(-1, shape[-1])).reshape(shape)


class GraphAttentionLayer(nn.Module):
    """GAT over a fully connected graph; edge weight from the element-wise product of the
    two node features, softmax over neighbours with a temperature."""

    def __init__(self, in_dim: int, out_dim: int, temperature: float = 1.0):
        super().__init__()
        self.att_proj = nn.Linear(in_dim, out_dim)
        self.att_weight = _xavier(out_dim, 1)
        self.proj_with_att = nn.Linear(in_dim, out_dim)
        self.proj_without_att = nn.Linear(in_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)
        self.temp = temperature

    def forward(self, x: Tensor) -> Tensor:  # (B, N, D_in) -> (B, N, D_out)
        pairs = x.unsqueeze(2) * x.unsqueeze(1)  # (B, N, N, D_in)
        logits = torch.tanh(self.att_proj(pairs)) @ self.att_weight  # (B, N, N, 1)
        att = torch.softmax(logits.squeeze(-1) / self.temp, dim=-1)
        out = self.proj_with_att(att @ x) + self.proj_without_att(x)
        return F.selu(_node_bn(self.bn, out))


class HeteroGraphAttentionLayer(nn.Module):
    """HS-GAL layer: attention across two node types (temporal, spectral) with separate
    edge weights per type pair, plus a master node that attends to every node."""

    def __init__(self, in_dim: int, out_dim: int, temperature: float = 1.0):
        super().__init__()
        self.proj_type1 = nn.Linear(in_dim, in_dim)
        self.proj_type2 = nn.Linear(in_dim, in_dim)
        self.att_proj = nn.Linear(in_dim, out_dim)
        self.att_projM = nn.Linear(in_dim, out_dim)
        self.att_weight11 = _xavier(out_dim, 1)
        self.att_weight22 = _xavier(out_dim, 1)
        self.att_weight12 = _xavier(out_dim, 1)  # both cross directions share it
        self.att_weightM = _xavier(out_dim, 1)
        self.proj_with_att = nn.Linear(in_dim, out_dim)
        self.proj_without_att = nn.Linear(in_dim, out_dim)
        self.proj_with_attM = nn.Linear(in_dim, out_dim)
        self.proj_without_attM = nn.Linear(in_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)
        self.temp = temperature

    def forward(self, x1: Tensor, x2: Tensor, master: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        n1, n2 = x1.shape[1], x2.shape[1]
        x = torch.cat([self.proj_type1(x1), self.proj_type2(x2)], dim=1)

        hidden = torch.tanh(self.att_proj(x.unsqueeze(2) * x.unsqueeze(1)))  # (B, N, N, D)
        weights = torch.cat([self.att_weight11, self.att_weight22, self.att_weight12], dim=1)
        per_type = hidden @ weights  # (B, N, N, 3): the edge logit under each type pair
        is_type1 = torch.arange(n1 + n2, device=x.device) < n1
        same11 = is_type1[:, None] & is_type1[None, :]
        same22 = ~is_type1[:, None] & ~is_type1[None, :]
        logits = torch.where(
            same11, per_type[..., 0], torch.where(same22, per_type[..., 1], per_type[..., 2])
        )
        att = torch.softmax(logits / self.temp, dim=-1)

        # The master node reads every node; it uses the pre-update node features.
        m_logits = torch.tanh(self.att_projM(x * master)) @ self.att_weightM  # (B, N, 1)
        m_att = torch.softmax(m_logits / self.temp, dim=1)
        new_master = self.proj_with_attM(m_att.transpose(1, 2) @ x) + self.proj_without_attM(master)

        out = self.proj_with_att(att @ x) + self.proj_without_att(x)
        out = F.selu(_node_bn(self.bn, out))
        return out[:, :n1], out[:, n1:], new_master


class GraphPool(nn.Module):
    """Keep the top ``ratio`` of nodes by a learned sigmoid score, scaled by that score."""

    def __init__(self, ratio: float, in_dim: int):
        super().__init__()
        self.ratio = ratio
        self.proj = nn.Linear(in_dim, 1)

    def forward(self, h: Tensor) -> Tensor:
        scores = torch.sigmoid(self.proj(h))  # (B, N, 1)
        keep = max(int(h.shape[1] * self.ratio), 1)
        _, idx = torch.topk(scores, keep, dim=1)
        return torch.gather(h * scores, 1, idx.expand(-1, -1, h.shape[-1]))


class AasistNet(nn.Module):
    """AASIST / AASIST-L (the variant is only a matter of channel sizes in the config)."""

    def __init__(self, cfg: AasistConfig):
        super().__init__()
        self.cfg = cfg
        filts0 = cfg.filts[0]
        assert isinstance(filts0, int)
        enc_dim = cfg.block_channels(4)[1]
        gat0, gat1 = cfg.gat_dims
        p_s, p_t, p_h, _ = cfg.pool_ratios
        t_s, t_t, t_h, _ = cfg.temperatures

        self.conv_time = SincFrontEnd(filts0, cfg.first_conv)
        self.first_bn = nn.BatchNorm2d(1)
        blocks = [ResidualBlock(*cfg.block_channels(1), first=True)]
        blocks += [ResidualBlock(*cfg.block_channels(i)) for i in (2, 3, 4, 4, 4)]
        # nn.Sequential of 1-element Sequentials: the checkpoint names are encoder.<i>.0.*
        self.encoder = nn.Sequential(*(nn.Sequential(b) for b in blocks))

        n_subbands = filts0 // 3  # the 3x3 max-pool after the front end
        self.pos_S = nn.Parameter(torch.randn(1, n_subbands, enc_dim))
        self.master1 = nn.Parameter(torch.randn(1, 1, gat0))
        self.master2 = nn.Parameter(torch.randn(1, 1, gat0))

        self.GAT_layer_S = GraphAttentionLayer(enc_dim, gat0, temperature=t_s)
        self.GAT_layer_T = GraphAttentionLayer(enc_dim, gat0, temperature=t_t)
        self.HtrgGAT_layer_ST11 = HeteroGraphAttentionLayer(gat0, gat1, temperature=t_h)
        self.HtrgGAT_layer_ST12 = HeteroGraphAttentionLayer(gat1, gat1, temperature=t_h)
        self.HtrgGAT_layer_ST21 = HeteroGraphAttentionLayer(gat0, gat1, temperature=t_h)
        self.HtrgGAT_layer_ST22 = HeteroGraphAttentionLayer(gat1, gat1, temperature=t_h)

        self.pool_S = GraphPool(p_s, gat0)
        self.pool_T = GraphPool(p_t, gat0)
        # Checkpoint behaviour: all four HS-GAL pools use pool_ratios[2].
        self.pool_hS1 = GraphPool(p_h, gat1)
        self.pool_hT1 = GraphPool(p_h, gat1)
        self.pool_hS2 = GraphPool(p_h, gat1)
        self.pool_hT2 = GraphPool(p_h, gat1)
        self.out_layer = nn.Linear(5 * gat1, 2)

    def embed(self, wave: Tensor) -> Tensor:
        """(B, samples) -> encoder map (B, C, sub-bands, frames)."""
        x = self.conv_time(wave).abs().unsqueeze(1)
        x = F.selu(self.first_bn(F.max_pool2d(x, (3, 3))))
        return self.encoder(x)

    def _branch(
        self,
        first: HeteroGraphAttentionLayer,
        second: HeteroGraphAttentionLayer,
        pool_s: GraphPool,
        pool_t: GraphPool,
        out_t: Tensor,
        out_s: Tensor,
        master: Tensor,
    ) -> tuple[Tensor, Tensor, Tensor]:
        t1, s1, m1 = first(out_t, out_s, master)
        s1, t1 = pool_s(s1), pool_t(t1)
        t_aug, s_aug, m_aug = second(t1, s1, m1)
        return t1 + t_aug, s1 + s_aug, m1 + m_aug

    def forward(self, wave: Tensor) -> Tensor:
        e = self.embed(wave).abs()
        e_s = e.amax(dim=3).transpose(1, 2) + self.pos_S  # spectral nodes: max over time
        e_t = e.amax(dim=2).transpose(1, 2)  # temporal nodes: max over sub-bands
        out_s = self.pool_S(self.GAT_layer_S(e_s))
        out_t = self.pool_T(self.GAT_layer_T(e_t))

        t1, s1, m1 = self._branch(
            self.HtrgGAT_layer_ST11, self.HtrgGAT_layer_ST12,
            self.pool_hS1, self.pool_hT1, out_t, out_s, self.master1,
        )  # fmt: skip
        t2, s2, m2 = self._branch(
            self.HtrgGAT_layer_ST21, self.HtrgGAT_layer_ST22,
            self.pool_hS2, self.pool_hT2, out_t, out_s, self.master2,
        )  # fmt: skip
        out_t, out_s = torch.maximum(t1, t2), torch.maximum(s1, s2)
        master = torch.maximum(m1, m2).expand(out_t.shape[0], -1, -1)

        hidden = torch.cat(
            [
                out_t.abs().amax(dim=1),
                out_t.mean(dim=1),
                out_s.abs().amax(dim=1),
                out_s.mean(dim=1),
                master.squeeze(1),
            ],
            dim=1,
        )
        return self.out_layer(hidden)
