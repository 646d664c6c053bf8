"""A StyleGAN2-ADA generator of the same code structure as NVlabs' training/networks.py (G.mapping with w_avg and
truncation, G.synthesis(ws, noise_mode, fused_modconv) with modulated/demodulated convolutions, const noise buffers,
upfirdn2d-style blur, toRGB skips, num_ws), written for the export tests; `conditional` adds an EG3D-style camera
input c [batch, 25] to both mapping and synthesis. Tiny sizes, random weights."""
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

SQRT2 = float(np.sqrt(2))


def normalize_2nd_moment(x, eps=1e-8):
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def lrelu(x):
    return F.leaky_relu(x, 0.2) * SQRT2


class FullyConnectedLayer(nn.Module):
    def __init__(self, in_features, out_features, activation='linear', bias_init=0.0, lr_multiplier=1.0):
        super().__init__()
        self.activation = activation
        self.weight = nn.Parameter(torch.randn([out_features, in_features]) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init)))
        self.weight_gain = lr_multiplier / np.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x):
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)
        return lrelu(x) if self.activation == 'lrelu' else x


class MappingNetwork(nn.Module):
    def __init__(self, z_dim, c_dim, w_dim, num_ws, num_layers=2):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, w_dim, num_ws
        self.embed = FullyConnectedLayer(c_dim, w_dim) if c_dim > 0 else None
        features = [z_dim + (w_dim if c_dim > 0 else 0)] + [w_dim] * num_layers
        self.layers = nn.ModuleList([FullyConnectedLayer(a, b, activation='lrelu', lr_multiplier=0.01) for a, b in zip(features[:-1], features[1:])])
        self.register_buffer('w_avg', torch.zeros([w_dim]))

    def forward(self, z, c, truncation_psi=1, truncation_cutoff=None):
        x = normalize_2nd_moment(z)
        if self.c_dim > 0:
            x = torch.cat([x, normalize_2nd_moment(self.embed(c))], dim=1)
        for layer in self.layers:
            x = layer(x)
        x = x.unsqueeze(1).repeat([1, self.num_ws, 1])
        if truncation_psi != 1:
            x = self.w_avg.lerp(x, truncation_psi)
        return x


def blur_filter():
    f = torch.tensor([1.0, 3.0, 3.0, 1.0])
    f = f.ger(f)
    return f / f.sum()


def filter2d(x, f, pad, gain=1):
    """upfirdn2d's reference path: pad, then a depthwise convolution with the (flipped) filter."""
    channels = int(x.shape[1])
    x = F.pad(x, [pad, pad, pad, pad])
    weight = (f * gain).flip([0, 1])[None, None].repeat([channels, 1, 1, 1])
    return F.conv2d(x, weight, groups=channels)


def upsample2d(x, f):
    """Zero-insertion upsampling by 2 then the blur (gain 4), as upfirdn2d.upsample2d."""
    n, c, h, w = x.shape
    c, h, w = int(c), int(h), int(w)
    x = x.reshape([n, c, h, 1, w, 1])
    x = F.pad(x, [0, 1, 0, 0, 0, 1])
    x = x.reshape([n, c, h * 2, w * 2])
    return filter2d(F.pad(x, [1, 0, 1, 0]), f, pad=1, gain=4)[:, :, : h * 2, : w * 2]


def modulated_conv2d(x, weight, styles, demodulate=True, up=1, padding=0, resample_filter=None, fused_modconv=True):
    batch_size = x.shape[0]
    out_channels, in_channels, kh, kw = weight.shape
    w = weight.unsqueeze(0) * styles.reshape(batch_size, 1, -1, 1, 1)
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
        w = w * dcoefs.reshape(batch_size, -1, 1, 1, 1)
    if not fused_modconv:
        x = x * styles.reshape(batch_size, -1, 1, 1)
        if up > 1:
            x = upsample2d(x, resample_filter)
        x = F.conv2d(x, weight, padding=padding)
        if demodulate:
            x = x * dcoefs.reshape(batch_size, -1, 1, 1)
        return x
    # Fused: the batch folded into the channels and one grouped convolution (group = batch).
    batch_size = int(batch_size)
    x = x.reshape(1, -1, *x.shape[2:])
    w = w.reshape(batch_size * out_channels, in_channels, kh, kw)
    if up > 1:
        x = upsample2d(x, resample_filter)
    x = F.conv2d(x, w, padding=padding, groups=batch_size)
    return x.reshape(batch_size, -1, *x.shape[2:])


class SynthesisLayer(nn.Module):
    def __init__(self, in_channels, out_channels, w_dim, resolution, up=1):
        super().__init__()
        self.up, self.resolution = up, resolution
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn([out_channels, in_channels, 3, 3]))
        self.bias = nn.Parameter(torch.randn([out_channels]) * 0.1)
        self.register_buffer('resample_filter', blur_filter())
        self.register_buffer('noise_const', torch.randn([resolution, resolution]))
        self.noise_strength = nn.Parameter(torch.tensor(0.1))

    def forward(self, x, w, noise_mode='const', fused_modconv=True):
        styles = self.affine(w)
        noise = self.noise_const * self.noise_strength if noise_mode == 'const' else None
        x = modulated_conv2d(x, self.weight, styles, up=self.up, padding=1, resample_filter=self.resample_filter, fused_modconv=fused_modconv)
        if noise is not None:
            x = x + noise
        return lrelu(x + self.bias.reshape(1, -1, 1, 1))


class ToRGBLayer(nn.Module):
    def __init__(self, in_channels, out_channels, w_dim):
        super().__init__()
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn([out_channels, in_channels, 1, 1]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / np.sqrt(in_channels)

    def forward(self, x, w, fused_modconv=True):
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False, fused_modconv=fused_modconv)
        return x + self.bias.reshape(1, -1, 1, 1)


class SynthesisBlock(nn.Module):
    def __init__(self, in_channels, out_channels, w_dim, resolution, img_channels, c_dim=0):
        super().__init__()
        self.in_channels, self.resolution = in_channels, resolution
        self.register_buffer('resample_filter', blur_filter())
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn([out_channels, resolution, resolution]))
            self.camera = nn.Linear(c_dim, out_channels) if c_dim > 0 else None
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2)
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution)
        self.torgb = ToRGBLayer(out_channels, img_channels, w_dim)
        self.num_conv = 1 if in_channels == 0 else 2
        self.num_torgb = 1

    def forward(self, x, img, ws, c=None, force_fp32=False, fused_modconv=None, **layer_kwargs):
        if fused_modconv is None:
            fused_modconv = not self.training
        w_iter = iter(ws.unbind(dim=1))
        if self.in_channels == 0:
            x = self.const.unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
            if self.camera is not None:
                x = x + self.camera(c).reshape(ws.shape[0], -1, 1, 1)
            x = self.conv1(x, next(w_iter), fused_modconv=fused_modconv, **layer_kwargs)
        else:
            x = self.conv0(x, next(w_iter), fused_modconv=fused_modconv, **layer_kwargs)
            x = self.conv1(x, next(w_iter), fused_modconv=fused_modconv, **layer_kwargs)
        if img is not None:
            img = upsample2d(img, self.resample_filter)
        y = self.torgb(x, next(w_iter), fused_modconv=fused_modconv)
        return x, (img + y if img is not None else y)


class SynthesisNetwork(nn.Module):
    def __init__(self, w_dim, img_resolution, img_channels, channels=16, c_dim=0):
        super().__init__()
        self.w_dim, self.img_resolution, self.img_channels, self.c_dim = w_dim, img_resolution, img_channels, c_dim
        self.block_resolutions = [2 ** i for i in range(2, int(np.log2(img_resolution)) + 1)]
        self.num_ws = 0
        for res in self.block_resolutions:
            block = SynthesisBlock(0 if res == 4 else channels, channels, w_dim, res, img_channels, c_dim=c_dim)
            self.num_ws += block.num_conv
            if res == img_resolution:
                self.num_ws += block.num_torgb
            setattr(self, f'b{res}', block)

    def forward(self, ws, c=None, **block_kwargs):
        block_ws = []
        w_idx = 0
        for res in self.block_resolutions:
            block = getattr(self, f'b{res}')
            block_ws.append(ws.narrow(1, w_idx, block.num_conv + block.num_torgb))
            w_idx += block.num_conv
        x = img = None
        for res, cur_ws in zip(self.block_resolutions, block_ws):
            x, img = getattr(self, f'b{res}')(x, img, cur_ws, c=c, **block_kwargs)
        return img


class ConditionalSynthesis(SynthesisNetwork):
    """EG3D-style: synthesis(ws, c, ...) renders with the camera c."""

    def forward(self, ws, c, **block_kwargs):
        return super().forward(ws, c=c, **block_kwargs)


class Generator(nn.Module):
    def __init__(self, z_dim=16, w_dim=16, img_resolution=32, img_channels=3, channels=16, conditional=False):
        super().__init__()
        self.z_dim, self.w_dim, self.img_resolution, self.img_channels = z_dim, w_dim, img_resolution, img_channels
        self.c_dim = 25 if conditional else 0
        synthesis = ConditionalSynthesis if conditional else SynthesisNetwork
        self.synthesis = synthesis(w_dim, img_resolution, img_channels, channels=channels, c_dim=self.c_dim)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, self.c_dim, w_dim, self.num_ws)

    def forward(self, z, c, truncation_psi=1, **synthesis_kwargs):
        ws = self.mapping(z, c, truncation_psi=truncation_psi)
        return self.synthesis(ws, c, **synthesis_kwargs) if self.c_dim > 0 else self.synthesis(ws, **synthesis_kwargs)
