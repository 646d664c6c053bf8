"""Writes randomly initialised networks for the export tests: a StyleGAN2-ADA- or StyleGAN3-structured network pickle
({'G_ema': G}, as NVlabs' training loop saves) and an arcface_torch-structured recognizer state dict."""
import argparse
import os
import pickle
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'networks'))
import tiny_stylegan  # noqa: E402
import tiny_stylegan3  # noqa: E402
from backbones import get_model  # noqa: E402


def randomize_batchnorm(net, generator):
    """Running statistics and affine parameters away from their defaults, so that exports must carry them. Residual
    branches end in a small gain (as trained iResNets do), so 50 blocks do not blow activations up."""
    for name, module in net.named_modules():
        if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) * 0.5 + 0.75)
            gain = (0.1, 0.2) if name.endswith('bn3') else (0.75, 0.5)
            module.weight.data.copy_(torch.rand(module.weight.shape, generator=generator) * gain[1] + gain[0])
            module.bias.data.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--generator', help='write a network pickle here')
    parser.add_argument('--conditional', action='store_true', help='EG3D-style camera conditioning')
    parser.add_argument('--stylegan3', action='store_true', help="StyleGAN3's structure (networks_stylegan3.py)")
    parser.add_argument('--recognizer', help='write a recognizer state dict here')
    parser.add_argument('--arch', default='tiny')
    parser.add_argument('--embedding', type=int, default=32)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    if args.generator:
        if args.stylegan3:
            G = tiny_stylegan3.Generator().eval()
            # As after training: the input transform depends on w (its affine starts at zero weights), and each
            # layer's input magnitude estimate is away from 1.
            G.synthesis.input.affine.weight.data.copy_(torch.randn(G.synthesis.input.affine.weight.shape) * 0.5)
            for name in G.synthesis.layer_names:
                getattr(G.synthesis, name).magnitude_ema.fill_(float(torch.rand([]) + 0.5))
        else:
            G = tiny_stylegan.Generator(conditional=args.conditional).eval()
        G.mapping.w_avg.copy_(torch.randn(G.w_dim) * 0.3)
        with open(args.generator, 'wb') as f:
            pickle.dump({'G_ema': G}, f)
    if args.recognizer:
        net = get_model(args.arch, num_features=args.embedding)
        randomize_batchnorm(net, torch.Generator().manual_seed(args.seed))
        torch.save(net.state_dict(), args.recognizer)


if __name__ == '__main__':
    main()
