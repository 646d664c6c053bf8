#!/usr/bin/env python3
"""Turns a StyleGAN2-ADA / StyleGAN3 / EG3D network pickle and an insightface recognizer (its ONNX file, or an
arcface_torch checkpoint) into a Brownian model pack folder: mapping.onnx, generator.onnx, recognizer.onnx, w_avg,
covariate directions, constant generator inputs, manifest.json and reference.json (torch outputs and VJPs for
`brownian pack check <folder> --reference <folder>/reference.json`). See docs/model-packs.md."""
import argparse
import hashlib
import inspect
import json
import os
import pickle
import shutil
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import composite  # noqa: E402

PACK_FORMAT = 'brownian.model-pack/1'


def numbers(text, count=None):
    values = [float(v) for v in text.replace(',', ' ').split()]
    if count is not None and len(values) != count:
        raise SystemExit(f'expected {count} numbers, got {len(values)}: {text}')
    return values


class PackFolder:
    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)

    def entry(self, relative):
        with open(os.path.join(self.path, relative), 'rb') as f:
            return {'file': relative, 'sha256': hashlib.sha256(f.read()).hexdigest()}

    def floats(self, relative, values):
        os.makedirs(os.path.dirname(os.path.join(self.path, relative)), exist_ok=True)
        np.asarray(values, dtype='<f4').tofile(os.path.join(self.path, relative))
        return self.entry(relative)

    def json(self, relative, value):
        with open(os.path.join(self.path, relative), 'w') as f:
            json.dump(value, f, indent=1)


def load_generator(path, code_dirs):
    """G_ema of a network pickle. NVlabs' pickles import their training code: pass the repository with --code."""
    for d in code_dirs:
        sys.path.insert(0, os.path.abspath(d))
    with open(path, 'rb') as f:
        data = pickle.load(f)
    return (data['G_ema'] if isinstance(data, dict) else data).eval().float().requires_grad_(False)


def unfuse_stylegan3(G):
    """StyleGAN3's modulated_conv2d always fuses the batch into one grouped convolution (group = batch), which traces
    to an export that runs at one batch only. Its unfused form is the same function: modulate the input, convolve with
    the shared weights, demodulate the output."""
    name = type(G.synthesis).__module__
    module = sys.modules.get(name)
    if 'stylegan3' not in name or module is None or not hasattr(module, 'modulated_conv2d'):
        return

    def modulated_conv2d(x, w, s, demodulate=True, padding=0, input_gain=None):
        # No int(x.shape[0]): a batch read into Python would be traced as a constant and fix the export's batch.
        if demodulate:
            w = w * w.square().mean([1, 2, 3], keepdim=True).rsqrt()
            s = s * s.square().mean().rsqrt()
        # input_gain is a scalar (the layer's magnitude_ema.rsqrt()): broadcasting is NVlabs' expand(batch, channels).
        scale = s if input_gain is None else s * input_gain
        x = torch.nn.functional.conv2d(x * scale.unsqueeze(2).unsqueeze(3), w.to(x.dtype), padding=padding)
        if demodulate:
            dcoefs = ((w.unsqueeze(0) * s.unsqueeze(1).unsqueeze(3).unsqueeze(4)).square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
            x = x * dcoefs.unsqueeze(2).unsqueeze(3)
        return x

    module.modulated_conv2d = modulated_conv2d


def pairs(value, count):
    """NVlabs' _parse_scaling (count 2) and _parse_padding (count 4)."""
    if isinstance(value, int):
        return [value] * count
    value = [int(v) for v in value]
    return [value[0], value[0], value[1], value[1]] if count == 4 and len(value) == 2 else value


def upfirdn2d_export(x, f, up=1, down=1, padding=0, flip_filter=False, gain=1):
    """NVlabs' _upfirdn2d_ref (StyleGAN3's filtered_lrelu, upsample2d, downsample2d, filter2d on CPU) with the sizes it
    reads from x.shape made Python ints and the filter flipped by a gather. Traced as written, the sizes become graph
    values, so torch.onnx loses the filter's shape ("convolution for kernel of unknown shape"), and Tensor.flip is a
    step -1 Slice that it cannot fold. The batch stays dynamic (reshape to -1)."""
    if f is None:
        f = torch.ones([1, 1], dtype=torch.float32, device=x.device)
    num_channels, in_height, in_width = [int(v) for v in x.shape[1:]]
    upx, upy = pairs(up, 2)
    downx, downy = pairs(down, 2)
    padx0, padx1, pady0, pady1 = pairs(padding, 4)
    x = x.reshape([-1, num_channels, in_height, 1, in_width, 1])
    x = torch.nn.functional.pad(x, [0, upx - 1, 0, 0, 0, upy - 1])
    x = x.reshape([-1, num_channels, in_height * upy, in_width * upx])
    x = torch.nn.functional.pad(x, [max(padx0, 0), max(padx1, 0), max(pady0, 0), max(pady1, 0)])
    height, width = int(x.shape[2]), int(x.shape[3])
    x = x[:, :, max(-pady0, 0): height - max(-pady1, 0), max(-padx0, 0): width - max(-padx1, 0)]
    f = (f * (gain ** (f.ndim / 2))).to(x.dtype)
    if not flip_filter:
        for d in range(f.ndim):
            f = f.index_select(d, torch.arange(int(f.shape[d]) - 1, -1, -1, device=f.device))
    f = f[None, None].repeat([num_channels, 1] + [1] * f.ndim)
    if f.ndim == 4:
        x = torch.nn.functional.conv2d(x, f, groups=num_channels)
    else:
        x = torch.nn.functional.conv2d(x, f.unsqueeze(2), groups=num_channels)
        x = torch.nn.functional.conv2d(x, f.unsqueeze(3), groups=num_channels)
    return x[:, :, ::downy, ::downx]


def exportable_upfirdn2d():
    """Every loaded module holding NVlabs' _upfirdn2d_ref (torch_utils.ops.upfirdn2d) gets the traceable form."""
    for module in list(sys.modules.values()):
        if callable(getattr(module, '_upfirdn2d_ref', None)):
            module._upfirdn2d_ref = upfirdn2d_export


def exportable_affine_grid():
    """torch.onnx (opset < 20) cannot export affine_grid, which StyleGAN3's SynthesisInput calls with a constant theta.
    The same grid as matrix products of constants traces to nodes that constant folding removes."""
    def affine_grid(theta, size, align_corners=None):
        n, _, h, w = [int(v) for v in size]

        def axis(k):
            r = torch.arange(k, dtype=theta.dtype, device=theta.device)
            return 2 * r / max(k - 1, 1) - 1 if align_corners else (2 * r + 1) / k - 1

        ys, xs = torch.meshgrid(axis(h), axis(w), indexing='ij')
        base = torch.stack([xs, ys, torch.ones_like(xs)], dim=-1).reshape(1, h * w, 3)
        return (base @ theta.transpose(1, 2)).reshape(theta.shape[0], h, w, 2).expand(n, h, w, 2)

    torch.nn.functional.affine_grid = affine_grid


class SynthesisExport(nn.Module):
    """G.synthesis as the pack's generator: w+ [batch, num_ws, w_dim] in (and the camera c, and the noise buffers when
    exported as inputs), the image out, constant noise, float32, unfused modulated convolutions unless asked."""

    def __init__(self, G, fused, noise_layers, conditional):
        super().__init__()
        self.G, self.fused, self.noise_layers, self.conditional = G, fused, noise_layers, conditional
        params = inspect.signature(G.synthesis.forward).parameters
        self.kwargs = {'noise_mode': 'const'}
        self.block_kwargs = {'force_fp32': True, 'fused_modconv': fused} if 'stylegan3' not in type(G.synthesis).__module__ else {}
        self.takes_c = 'c' in params

    def forward(self, ws, *extra):
        extra = list(extra)
        c = extra.pop(0) if self.conditional else None
        saved = [layer.noise_const for layer in self.noise_layers]
        for layer, noise in zip(self.noise_layers, extra):
            layer.noise_const = noise
        try:
            args = (ws, c) if self.takes_c else (ws,)
            return self.G.synthesis(*args, **self.kwargs, **self.block_kwargs)
        finally:
            for layer, noise in zip(self.noise_layers, saved):
                layer.noise_const = noise


class MappingExport(nn.Module):
    """z -> the first w of G.mapping (all layers get the same w before truncation), truncation psi 1: the worker applies
    the run's truncation around w_avg itself."""

    def __init__(self, G, camera):
        super().__init__()
        self.G = G
        self.register_buffer('c', camera.reshape(1, -1))

    def forward(self, z):
        return self.G.mapping(z, self.c.expand(z.shape[0], -1), truncation_psi=1)[:, 0]


class Bound(nn.Module):
    """A module with its constant extra inputs bound, for the torch reference."""

    def __init__(self, module, extra):
        super().__init__()
        self.module, self.extra = module, extra

    def forward(self, ws):
        n = ws.shape[0]
        return self.module(ws, *[(e.expand(n, *e.shape[1:]) if per_sample else e).to(ws.dtype) for e, per_sample in self.extra])


class NHWCInput(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.permute(0, 3, 1, 2))


class Normalized(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.nn.functional.normalize(self.net(x), dim=1)


def export(module, args, path, input_names, output_names, opset, dynamic):
    # torch.onnx.export restores the module's training flag afterwards, recursively: a fresh wrapper would put
    # BatchNorm layers of the wrapped network back in training mode for the torch reference.
    module.eval()
    axes = {name: {0: 'batch'} for name in dynamic} if dynamic else None
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names, opset_version=opset,
                      dynamic_axes=axes, do_constant_folding=True)
    module.eval()


def onnx_recognizer(path, out_path):
    """Copies an insightface ONNX recognizer, upgraded to opset 13 when older (insightface ships opset 11), and reads
    its input and output names and the preprocessing insightface's ArcFaceONNX applies."""
    import onnx
    from onnx import version_converter
    model = onnx.load(path)
    opset = next(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))
    if opset < 13:
        model = version_converter.convert_version(model, 13)
    onnx.save(model, out_path)
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    first_ops = [n.op_type for n in graph.node[:8]]
    # ArcFaceONNX: graphs that start with Sub and Mul normalise themselves (mean 0, std 1); others take (x - 127.5) / 127.5.
    normalises_itself = 'Sub' in first_ops and 'Mul' in first_ops
    return inputs[0].name, graph.output[0].name, ([0.0], [1.0]) if normalises_itself else ([127.5], [127.5])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--network', required=True, help='network pickle (G_ema), StyleGAN2-ADA, StyleGAN3 or EG3D')
    p.add_argument('--code', action='append', default=[], help='folder with the training code the pickle imports (the NVlabs repository)')
    p.add_argument('--out', required=True, help='pack folder to write')
    p.add_argument('--name', default=None)
    rec = p.add_mutually_exclusive_group(required=True)
    rec.add_argument('--recognizer-onnx', help="an insightface recognizer's ONNX file (e.g. w600k_r50.onnx)")
    rec.add_argument('--recognizer-torch', help='an arcface_torch checkpoint (state dict of backbones.get_model(--arch))')
    p.add_argument('--arch', default='r50', help='arcface_torch backbone name (r18, r34, r50, r100)')
    p.add_argument('--arcface-torch', default=None, help='folder holding arcface_torch (its backbones package)')
    p.add_argument('--embedding-dim', type=int, default=512)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument('--landmarks', help='five landmarks x,y of the generator images: eyes, nose tip, mouth corners (10 numbers)')
    g.add_argument('--crop', help='crop box x,y,width,height in generator pixels')
    p.add_argument('--output-size', type=int, default=112)
    p.add_argument('--pixel-range', default='0,255', help="the recognizer's pixel range before mean/std")
    p.add_argument('--mean', default=None, help='per-channel mean (1 or 3 numbers); insightface default 127.5')
    p.add_argument('--std', default=None, help='per-channel std (1 or 3 numbers); insightface default 127.5')
    p.add_argument('--channel-order', choices=['RGB', 'BGR'], default='RGB')
    p.add_argument('--layout', choices=['NCHW', 'NHWC'], default='NCHW', help='recognizer input layout (torch recognizers: exported so)')
    p.add_argument('--normalize-output', action='store_true', help='torch recognizers: export the embedding divided by its norm')
    p.add_argument('--camera', default=None, help='EG3D: default camera c (25 numbers); runs may replace it (generatorInputs.camera)')
    p.add_argument('--noise-inputs', action='store_true', help='export the const noise buffers as constant generator inputs')
    p.add_argument('--fused-batch', type=int, default=None, help='keep fused modulated convolutions; the export runs at this batch only')
    p.add_argument('--truncation', type=float, default=0.7)
    p.add_argument('--covariate', action='append', default=[], help='name=directions.npy:scale (latentDim float values)')
    p.add_argument('--reference-batch', type=int, default=2)
    p.add_argument('--opset', type=int, default=13)
    args = p.parse_args()

    torch.manual_seed(0)
    pack = PackFolder(args.out)
    G = load_generator(args.network, args.code)
    exportable_affine_grid()
    exportable_upfirdn2d()
    if args.fused_batch is None:
        unfuse_stylegan3(G)
    conditional = getattr(G, 'c_dim', 0) > 0
    if conditional and args.camera is None:
        raise SystemExit('the generator is conditioned (c_dim > 0): give its default camera with --camera')
    camera = torch.tensor(numbers(args.camera, G.c_dim) if conditional else [], dtype=torch.float32)
    height = width = G.img_resolution
    num_ws, w_dim = G.num_ws, G.w_dim
    batch = args.fused_batch or args.reference_batch

    noise_layers = [m for m in G.synthesis.modules() if hasattr(m, 'noise_const')] if args.noise_inputs else []
    synthesis = SynthesisExport(G, args.fused_batch is not None, noise_layers, conditional)
    constant_inputs, extra, names = [], [], ['ws']
    if conditional:
        constant_inputs.append({'name': 'c', 'dims': [G.c_dim], 'perSample': True, 'values': camera.tolist(), 'runParameter': 'camera'})
        extra.append((camera.reshape(1, -1), True))
        names.append('c')
    for k, layer in enumerate(noise_layers):
        noise = layer.noise_const.detach().clone()
        entry = pack.floats(f'noise/noise_{k}.bin', noise.numpy())
        constant_inputs.append({'name': f'noise_{k}', 'dims': list(noise.shape), 'perSample': False, **entry})
        extra.append((noise, False))
        names.append(f'noise_{k}')
    bound = Bound(synthesis, extra)
    ws = torch.zeros([batch, num_ws, w_dim])
    example = (ws, *[e.expand(batch, *e.shape[1:]) if per_sample else e for e, per_sample in extra])
    dynamic = None if args.fused_batch else ['ws', 'image'] + (['c'] if conditional else [])
    export(synthesis, example, os.path.join(args.out, 'generator.onnx'), names, ['image'], args.opset, dynamic)

    mapping = MappingExport(G, camera)
    export(mapping, (torch.zeros([2, G.z_dim]),), os.path.join(args.out, 'mapping.onnx'), ['z'], ['w'], args.opset, ['z', 'w'])
    w_avg = G.mapping.w_avg.detach().float()

    if args.recognizer_onnx:
        rec_input, rec_output, (mean, std) = onnx_recognizer(args.recognizer_onnx, os.path.join(args.out, 'recognizer.onnx'))
        recognizer = None
        layout = 'NCHW'
    else:
        if args.arcface_torch:
            sys.path.insert(0, os.path.abspath(args.arcface_torch))
        from backbones import get_model
        net = get_model(args.arch, fp16=False, num_features=args.embedding_dim)
        net.load_state_dict(torch.load(args.recognizer_torch, map_location='cpu'))
        net = net.eval().float().requires_grad_(False)
        recognizer = NHWCInput(net) if args.layout == 'NHWC' else net
        recognizer = Normalized(recognizer) if args.normalize_output else recognizer
        size = args.output_size
        x = torch.zeros([2, size, size, 3] if args.layout == 'NHWC' else [2, 3, size, size])
        export(recognizer, (x,), os.path.join(args.out, 'recognizer.onnx'), ['x'], ['embedding'], args.opset, ['x', 'embedding'])
        rec_input, rec_output, mean, std, layout = 'x', 'embedding', [127.5], [127.5], args.layout
    mean = numbers(args.mean) if args.mean else mean
    std = numbers(args.std) if args.std else std

    alignment = {'outputSize': {'width': args.output_size, 'height': args.output_size}, 'pixelRange': numbers(args.pixel_range, 2)}
    if args.landmarks:
        points = numbers(args.landmarks, 10)
        alignment['landmarks'] = {'points': [points[i:i + 2] for i in range(0, 10, 2)], 'template': 'arcface'}
    else:
        x0, y0, cw, ch = [int(v) for v in numbers(args.crop, 4)]
        alignment['crop'] = {'x': x0, 'y': y0, 'width': cw, 'height': ch}
    generator = {**pack.entry('generator.onnx'), 'input': 'ws', 'output': 'image', 'layout': 'NCHW', 'channels': G.img_channels,
                 'height': height, 'width': width, 'pixelRange': [-1, 1], 'numWs': num_ws}
    if args.fused_batch:
        generator['batch'] = args.fused_batch
    if constant_inputs:
        generator['constantInputs'] = constant_inputs
    recognizer_spec = {**pack.entry('recognizer.onnx'), 'input': rec_input, 'output': rec_output, 'channelOrder': args.channel_order,
                       'normalization': {'mean': mean, 'std': std}, 'layout': layout}
    if args.normalize_output:
        recognizer_spec['outputNormalized'] = True
    covariates = []
    for spec in args.covariate:
        name, rest = spec.split('=', 1)
        path, scale = rest.rsplit(':', 1)
        covariates.append({'name': name, **pack.floats(f'covariates/{name}.bin', np.load(path).reshape(-1)), 'scale': float(scale)})
    manifest = {
        'format': PACK_FORMAT,
        'name': args.name or os.path.splitext(os.path.basename(args.network))[0],
        'description': f'exported from {os.path.basename(args.network)} by tools/export/make_pack.py',
        'latentDim': w_dim,
        'embeddingDim': args.embedding_dim,
        'mapping': {**pack.entry('mapping.onnx'), 'input': 'z', 'output': 'w', 'zDim': G.z_dim},
        'generator': generator,
        'alignment': alignment,
        'recognizer': recognizer_spec,
        'wAvg': pack.floats('w_avg.bin', w_avg.numpy()),
        'truncation': args.truncation,
    }
    if covariates:
        manifest['covariates'] = covariates
    pack.json('manifest.json', manifest)
    pack.json('reference.json', composite.reference(manifest, mapping, bound, recognizer, w_avg, batch))
    print(f'wrote {args.out}: generator {height}x{width}, {num_ws} ws of {w_dim}, recognizer {layout} {args.output_size}')


if __name__ == '__main__':
    main()
