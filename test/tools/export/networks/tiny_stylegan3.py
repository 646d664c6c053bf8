"""A StyleGAN3 generator of the same code structure as NVlabs' training/networks_stylegan3.py (G.mapping with w_avg and
truncation; G.synthesis(ws) = SynthesisInput's Fourier features under a transform computed from w, then SynthesisLayers
of modulated convolution (fused, group = batch, with the batch-wide style normalisation) and filtered leaky ReLU in its
reference form: bias, zero-insertion upsampling, FIR filter, lrelu and clamp, FIR filter and decimation, crop), written
for the export tests. Tiny sizes, random weights; filters are Kaiser-windowed sincs from numpy (NVlabs uses scipy's
firwin). Tensors NVlabs makes float32 (torch.eye, ws.to) follow the input's dtype here, so that the float64 torch
reference of make_pack.py runs in float64 throughout."""
import numpy as np
import torch
import torch.nn.functional as F


def normalize_2nd_moment(x, dim=1, eps=1e-8):
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


def bias_act(x, b=None, act='linear', alpha=0.2, gain=1, clamp=None):
    """bias_act's reference path."""
    if b is not None:
        x = x + b.reshape([-1 if i == 1 else 1 for i in range(x.ndim)])
    if act == 'lrelu':
        x = F.leaky_relu(x, alpha)
    if gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


def upfirdn2d(x, f, up=1, down=1, padding=(0, 0, 0, 0), gain=1):
    """upfirdn2d without CUDA: its reference path, looked up by name at each call as NVlabs' module does."""
    return _upfirdn2d_ref(x, f, up=up, down=down, padding=padding, gain=gain)


def _upfirdn2d_ref(x, f, up=1, down=1, padding=(0, 0, 0, 0), flip_filter=False, gain=1):
    """upfirdn2d's reference path for a separable (1-D) filter or none."""
    if f is None:
        f = torch.ones([1, 1], dtype=x.dtype, device=x.device)
    batch_size, num_channels, in_height, in_width = x.shape
    padx0, padx1, pady0, pady1 = padding
    x = x.reshape([batch_size, num_channels, in_height, 1, in_width, 1])
    x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
    x = x.reshape([batch_size, num_channels, in_height * up, in_width * up])
    x = F.pad(x, [max(padx0, 0), max(padx1, 0), max(pady0, 0), max(pady1, 0)])
    x = x[:, :, max(-pady0, 0): x.shape[2] - max(-pady1, 0), max(-padx0, 0): x.shape[3] - max(-padx1, 0)]
    f = f * (gain ** (f.ndim / 2))
    f = f.to(x.dtype)
    if not flip_filter:
        f = f.flip(list(range(f.ndim)))
    f = f[np.newaxis, np.newaxis].repeat([num_channels, 1] + [1] * f.ndim)
    if f.ndim == 4:
        x = F.conv2d(x, f, groups=num_channels)
    else:
        x = F.conv2d(x, f.unsqueeze(2), groups=num_channels)
        x = F.conv2d(x, f.unsqueeze(3), groups=num_channels)
    return x[:, :, ::down, ::down]


def filtered_lrelu(x, fu=None, fd=None, b=None, up=1, down=1, padding=(0, 0, 0, 0), gain=np.sqrt(2), slope=0.2, clamp=None):
    """filtered_lrelu's reference path (_filtered_lrelu_ref)."""
    x = bias_act(x, b=b)
    x = upfirdn2d(x, fu, up=up, padding=padding, gain=up ** 2)
    x = bias_act(x, act='lrelu', alpha=slope, gain=gain, clamp=clamp)
    return upfirdn2d(x, fd, down=down)


def modulated_conv2d(x, w, s, demodulate=True, padding=0, input_gain=None):
    batch_size = int(x.shape[0])
    out_channels, in_channels, kh, kw = w.shape
    if demodulate:
        w = w * w.square().mean([1, 2, 3], keepdim=True).rsqrt()
        s = s * s.square().mean().rsqrt()
    w = w.unsqueeze(0)
    w = w * s.unsqueeze(1).unsqueeze(3).unsqueeze(4)
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
        w = w * dcoefs.unsqueeze(2).unsqueeze(3).unsqueeze(4)
    if input_gain is not None:
        input_gain = input_gain.expand(batch_size, in_channels)
        w = w * input_gain.unsqueeze(1).unsqueeze(3).unsqueeze(4)
    x = x.reshape(1, -1, *x.shape[2:])
    w = w.reshape(-1, in_channels, kh, kw)
    x = F.conv2d(x, w.to(x.dtype), padding=padding, groups=batch_size)
    return x.reshape(batch_size, -1, *x.shape[2:])


class FullyConnectedLayer(torch.nn.Module):
    def __init__(self, in_features, out_features, activation='linear', bias=True, lr_multiplier=1, weight_init=1, bias_init=0):
        super().__init__()
        self.activation = activation
        self.weight = torch.nn.Parameter(torch.randn([out_features, in_features]) * (weight_init / lr_multiplier))
        bias_init = np.broadcast_to(np.asarray(bias_init, dtype=np.float32), [out_features])
        self.bias = torch.nn.Parameter(torch.from_numpy(bias_init / lr_multiplier)) if bias else None
        self.weight_gain = lr_multiplier / np.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x):
        w = self.weight.to(x.dtype) * self.weight_gain
        b = self.bias.to(x.dtype) * self.bias_gain if self.bias is not None else None
        x = torch.addmm(b.unsqueeze(0), x, w.t()) if self.activation == 'linear' else bias_act(x.matmul(w.t()), b, act='lrelu', gain=np.sqrt(2))
        return x


class MappingNetwork(torch.nn.Module):
    def __init__(self, z_dim, c_dim, w_dim, num_ws, num_layers=2, lr_multiplier=0.01):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, w_dim, num_ws
        self.embed = FullyConnectedLayer(c_dim, w_dim) if c_dim > 0 else None
        features = [z_dim + (w_dim if c_dim > 0 else 0)] + [w_dim] * num_layers
        for idx, (a, b) in enumerate(zip(features[:-1], features[1:])):
            setattr(self, f'fc{idx}', FullyConnectedLayer(a, b, activation='lrelu', lr_multiplier=lr_multiplier))
        self.num_layers = num_layers
        self.register_buffer('w_avg', torch.zeros([w_dim]))

    def forward(self, z, c, truncation_psi=1, truncation_cutoff=None, update_emas=False):
        x = normalize_2nd_moment(z)
        if self.c_dim > 0:
            x = torch.cat([x, normalize_2nd_moment(self.embed(c))], dim=1)
        for idx in range(self.num_layers):
            x = getattr(self, f'fc{idx}')(x)
        x = x.unsqueeze(1).repeat([1, self.num_ws, 1])
        if truncation_psi != 1:
            x[:, :truncation_cutoff] = self.w_avg.lerp(x[:, :truncation_cutoff], truncation_psi)
        return x


class SynthesisInput(torch.nn.Module):
    def __init__(self, w_dim, channels, size, sampling_rate, bandwidth):
        super().__init__()
        self.w_dim, self.channels = w_dim, channels
        self.size = np.broadcast_to(np.asarray(size), [2])
        self.sampling_rate, self.bandwidth = sampling_rate, bandwidth
        freqs = torch.randn([self.channels, 2])
        radii = freqs.square().sum(dim=1, keepdim=True).sqrt()
        freqs /= radii * radii.square().exp().pow(0.25)
        freqs *= bandwidth
        phases = torch.rand([self.channels]) - 0.5
        self.weight = torch.nn.Parameter(torch.randn([self.channels, self.channels]))
        self.affine = FullyConnectedLayer(w_dim, 4, weight_init=0, bias_init=[1, 0, 0, 0])
        self.register_buffer('transform', torch.eye(3, 3))
        self.register_buffer('freqs', freqs)
        self.register_buffer('phases', phases)

    def forward(self, w):
        transforms = self.transform.unsqueeze(0)
        freqs = self.freqs.unsqueeze(0)
        phases = self.phases.unsqueeze(0)
        t = self.affine(w)
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        m_r = torch.eye(3, device=w.device, dtype=w.dtype).unsqueeze(0).repeat([w.shape[0], 1, 1])
        m_r[:, 0, 0] = t[:, 0]
        m_r[:, 0, 1] = -t[:, 1]
        m_r[:, 1, 0] = t[:, 1]
        m_r[:, 1, 1] = t[:, 0]
        m_t = torch.eye(3, device=w.device, dtype=w.dtype).unsqueeze(0).repeat([w.shape[0], 1, 1])
        m_t[:, 0, 2] = -t[:, 2]
        m_t[:, 1, 2] = -t[:, 3]
        transforms = m_r @ m_t @ transforms
        phases = phases + (freqs @ transforms[:, :2, 2:]).squeeze(2)
        freqs = freqs @ transforms[:, :2, :2]
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)
        theta = torch.eye(2, 3, device=w.device, dtype=w.dtype)
        theta[0, 0] = 0.5 * self.size[0] / self.sampling_rate
        theta[1, 1] = 0.5 * self.size[1] / self.sampling_rate
        grids = F.affine_grid(theta.unsqueeze(0), [1, 1, self.size[1], self.size[0]], align_corners=False)
        x = (grids.unsqueeze(3) @ freqs.permute(0, 2, 1).unsqueeze(1).unsqueeze(2)).squeeze(3)
        x = x + phases.unsqueeze(1).unsqueeze(2)
        x = torch.sin(x * (np.pi * 2))
        x = x * amplitudes.unsqueeze(1).unsqueeze(2)
        weight = self.weight / np.sqrt(self.channels)
        x = x @ weight.t()
        return x.permute(0, 3, 1, 2)


def design_lowpass_filter(numtaps, cutoff, fs):
    if numtaps == 1:
        return None
    n = np.arange(numtaps) - (numtaps - 1) / 2
    f = np.sinc(2 * cutoff / fs * n) * np.kaiser(numtaps, 4.0)
    return torch.as_tensor(f / f.sum(), dtype=torch.float32)


class SynthesisLayer(torch.nn.Module):
    def __init__(self, w_dim, is_torgb, in_channels, out_channels, in_size, out_size, in_sampling_rate, out_sampling_rate,
                 cutoff, conv_kernel=3, filter_size=4, lrelu_upsampling=2, conv_clamp=256):
        super().__init__()
        self.is_torgb, self.in_channels, self.out_channels = is_torgb, in_channels, out_channels
        self.conv_kernel = 1 if is_torgb else conv_kernel
        self.conv_clamp = conv_clamp
        tmp_sampling_rate = max(in_sampling_rate, out_sampling_rate) * (1 if is_torgb else lrelu_upsampling)
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, self.conv_kernel, self.conv_kernel]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))
        self.register_buffer('magnitude_ema', torch.ones([]))
        self.up_factor = int(np.rint(tmp_sampling_rate / in_sampling_rate))
        self.up_taps = filter_size * self.up_factor if self.up_factor > 1 and not is_torgb else 1
        self.register_buffer('up_filter', design_lowpass_filter(self.up_taps, cutoff, tmp_sampling_rate))
        self.down_factor = int(np.rint(tmp_sampling_rate / out_sampling_rate))
        self.down_taps = filter_size * self.down_factor if self.down_factor > 1 and not is_torgb else 1
        self.register_buffer('down_filter', design_lowpass_filter(self.down_taps, cutoff, tmp_sampling_rate))
        pad_total = (out_size - 1) * self.down_factor + 1
        pad_total -= (in_size + self.conv_kernel - 1) * self.up_factor
        pad_total += self.up_taps + self.down_taps - 2
        pad_lo = (pad_total + self.up_factor) // 2
        pad_hi = pad_total - pad_lo
        self.padding = [int(pad_lo), int(pad_hi), int(pad_lo), int(pad_hi)]

    def forward(self, x, w, noise_mode='random', force_fp32=False, update_emas=False):
        input_gain = self.magnitude_ema.rsqrt()
        styles = self.affine(w)
        if self.is_torgb:
            styles = styles * (1 / np.sqrt(self.in_channels * (self.conv_kernel ** 2)))
        x = modulated_conv2d(x=x, w=self.weight, s=styles, padding=self.conv_kernel - 1, demodulate=(not self.is_torgb),
                             input_gain=input_gain)
        gain = 1 if self.is_torgb else np.sqrt(2)
        slope = 1 if self.is_torgb else 0.2
        return filtered_lrelu(x=x, fu=self.up_filter, fd=self.down_filter, b=self.bias.to(x.dtype), up=self.up_factor,
                              down=self.down_factor, padding=self.padding, gain=gain, slope=slope, clamp=self.conv_clamp)


class SynthesisNetwork(torch.nn.Module):
    def __init__(self, w_dim=16, img_resolution=16, img_channels=3, channels=8, num_layers=2, margin_size=4,
                 sampling_rate=16, output_scale=0.25):
        super().__init__()
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.num_layers, self.num_ws = num_layers, num_layers + 2
        self.output_scale = output_scale
        size = img_resolution + margin_size * 2
        self.input = SynthesisInput(w_dim, channels, size, sampling_rate, bandwidth=2)
        self.layer_names = []
        for idx in range(num_layers + 1):
            is_torgb = idx == num_layers
            layer = SynthesisLayer(w_dim, is_torgb, channels, img_channels if is_torgb else channels, size,
                                   img_resolution if is_torgb else size, sampling_rate, sampling_rate, cutoff=sampling_rate / 4)
            name = f'L{idx}_{layer.out_channels}'
            setattr(self, name, layer)
            self.layer_names.append(name)

    def forward(self, ws, **layer_kwargs):
        ws = ws.unbind(dim=1)
        x = self.input(ws[0])
        for name, w in zip(self.layer_names, ws[1:]):
            x = getattr(self, name)(x, w, **layer_kwargs)
        if self.output_scale != 1:
            x = x * self.output_scale
        return x


class Generator(torch.nn.Module):
    def __init__(self, z_dim=16, c_dim=0, w_dim=16, img_resolution=16, img_channels=3):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.img_resolution, self.img_channels = z_dim, c_dim, w_dim, img_resolution, img_channels
        self.synthesis = SynthesisNetwork(w_dim=w_dim, img_resolution=img_resolution, img_channels=img_channels)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, num_ws=self.num_ws)

    def forward(self, z, c, truncation_psi=1, truncation_cutoff=None, **synthesis_kwargs):
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, **synthesis_kwargs)
