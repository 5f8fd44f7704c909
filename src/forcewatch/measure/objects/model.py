"""The detector network: a compact anchor-free CenterNet in plain torch (no torchvision).

Only this module and ``train.py`` import torch; inference uses the exported ONNX file.

Contract of the exported graph (``ExportedDetector``), which ``infer.py`` relies on:

- input ``image``: float32 ``(batch, 3, height_px, width_px)``, RGB in 0..255; height and width
  multiples of ``TOTAL_STRIDE`` (32); batch, height and width are dynamic axes.
- output ``heatmap``: float32 ``(batch, n_classes, height_px / 4, width_px / 4)``, per-class
  centre probability in 0..1 (sigmoid applied, no peak suppression).
- output ``box``: float32 ``(batch, 4, height_px / 4, width_px / 4)``: ``dx, dy`` (sub-cell offset
  of the centre, in cells of ``OUTPUT_STRIDE`` pixels) and ``w, h`` (box size in input pixels).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

OUTPUT_STRIDE = 4
TOTAL_STRIDE = 32
#: ImageNet statistics; the normalisation is baked into the exported graph.
MEAN_RGB = (0.485, 0.456, 0.406)
STD_RGB = (0.229, 0.224, 0.225)
#: log(size / stride) is clamped here before exp, so a wild output cannot overflow (~1600 px).
MAX_LOG_SIZE = 6.0
#: heatmap bias init: sigmoid(-2.19) ~ 0.1, the CenterNet prior that keeps early focal loss sane.
HEAT_BIAS_INIT = -2.19


class ConvBnAct(nn.Sequential):
    """k x k convolution, batch norm, ReLU."""

    def __init__(self, c_in: int, c_out: int, k: int = 3, stride: int = 1, groups: int = 1):
        super().__init__(
            nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        )


class SepBlock(nn.Module):
    """Depthwise-separable 3x3 block with a residual connection when shapes allow."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.dw = nn.Conv2d(
            c_in, c_in, 3, stride, dilation, dilation=dilation, groups=c_in, bias=False
        )
        self.bn1 = nn.BatchNorm2d(c_in)
        self.pw = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.dw(x)))
        y = self.bn2(self.pw(y))
        return F.relu(y + x if self.residual else y)


class CenterNetLite(nn.Module):
    """Backbone (strides 4..32) + top-down feature pyramid merged at stride 4 + two heads.

    ``forward`` returns raw outputs: heat logits ``(N, C, H/4, W/4)`` and box regression
    ``(N, 4, H/4, W/4)`` = ``dx, dy, log(w / 4), log(h / 4)``.
    """

    def __init__(self, n_classes: int, width: int = 64) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.stem = nn.Sequential(ConvBnAct(3, 24, 3, 2), ConvBnAct(24, 32, 3, 2))
        self.s4 = nn.Sequential(ConvBnAct(32, 32), SepBlock(32, 32))
        self.s8 = nn.Sequential(SepBlock(32, 64, 2), SepBlock(64, 64), SepBlock(64, 64))
        self.s16 = nn.Sequential(
            SepBlock(64, 128, 2), SepBlock(128, 128), SepBlock(128, 128, dilation=2)
        )
        self.s32 = nn.Sequential(
            SepBlock(128, 192, 2), SepBlock(192, 192), SepBlock(192, 192, dilation=2)
        )
        self.lat = nn.ModuleList(
            [nn.Conv2d(c, width, 1) for c in (32, 64, 128, 192)]  # strides 4, 8, 16, 32
        )
        self.smooth = nn.ModuleList([SepBlock(width, width) for _ in range(3)])
        self.head = nn.Sequential(ConvBnAct(width, width), SepBlock(width, width))
        self.heat = nn.Conv2d(width, n_classes, 1)
        self.box = nn.Conv2d(width, 4, 1)
        with torch.no_grad():
            self.heat.bias.fill_(HEAT_BIAS_INIT)  # type: ignore[union-attr]
            self.box.bias.zero_()  # type: ignore[union-attr]
        nn.init.normal_(self.box.weight, std=0.01)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f4 = self.s4(self.stem(x))
        f8 = self.s8(f4)
        f16 = self.s16(f8)
        f32 = self.s32(f16)
        feats = [f4, f8, f16, f32]
        y = self.lat[3](f32)
        for level in (2, 1, 0):
            y = F.interpolate(y, scale_factor=2.0, mode="nearest") + self.lat[level](feats[level])
            y = self.smooth[level](y)
        y = self.head(y)
        return self.heat(y), self.box(y)


class ExportedDetector(nn.Module):
    """Wraps ``CenterNetLite`` with input normalisation and output decoding for ONNX export."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, net: CenterNetLite) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(MEAN_RGB).view(1, 3, 1, 1) * 255.0)
        self.register_buffer("std", torch.tensor(STD_RGB).view(1, 3, 1, 1) * 255.0)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (image - self.mean) / self.std
        heat_logit, box_raw = self.net(x)
        size_px = torch.exp(box_raw[:, 2:].clamp(max=MAX_LOG_SIZE)) * OUTPUT_STRIDE
        return torch.sigmoid(heat_logit), torch.cat([box_raw[:, :2], size_px], dim=1)


def build_model(n_classes: int) -> CenterNetLite:
    """A fresh, randomly initialised detector for ``n_classes`` classes."""
    return CenterNetLite(n_classes)


def normalise(images_rgb: torch.Tensor) -> torch.Tensor:
    """RGB 0..255 ``(N, 3, H, W)`` -> the network's normalised input (same as the export)."""
    mean = torch.tensor(MEAN_RGB, device=images_rgb.device).view(1, 3, 1, 1) * 255.0
    std = torch.tensor(STD_RGB, device=images_rgb.device).view(1, 3, 1, 1) * 255.0
    return (images_rgb - mean) / std


def count_parameters(net: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
