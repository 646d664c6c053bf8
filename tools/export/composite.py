"""The composite a Brownian pack computes, written in torch: w broadcast to the w+ layers, the generator,
the pixel-range map, the alignment (crop and antialiased resize, or the similarity warp of five landmarks onto
ArcFace's template), the recognizer's preprocessing, and the recognizer. reference.json is computed with it, so
`brownian pack check --reference` compares the worker's ONNX composite and its gradients with torch.autograd."""
import numpy as np
import torch
import torch.nn.functional as F

ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64
)


def umeyama(src, dst):
    """Least-squares similarity src -> dst (Umeyama 1991, no reflection), as skimage's SimilarityTransform.estimate
    that insightface's norm_crop uses. Returns the 3x3 homogeneous matrix."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    n, dim = src.shape
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    a = dst_c.T @ src_c / n
    d = np.ones(dim)
    if np.linalg.det(a) < 0:
        d[-1] = -1
    u, s, vt = np.linalg.svd(a)
    t = np.eye(dim + 1)
    t[:dim, :dim] = u @ np.diag(d) @ vt
    scale = (s * d).sum() / src_c.var(0).sum()
    t[:dim, dim] = dst_mean - scale * (t[:dim, :dim] @ src_mean)
    t[:dim, :dim] *= scale
    return t


def template(alignment):
    size = alignment['outputSize']
    tpl = alignment['landmarks']['template']
    if tpl == 'arcface':
        return ARCFACE_TEMPLATE_112 * np.array([size['width'] / 112, size['height'] / 112])
    return np.asarray(tpl, np.float64)


def warp_grid(alignment, height, width):
    """grid_sample coordinates (align_corners=False) of out(u, v) = in(S^-1 (u, v)), pixel centres at integers."""
    size = alignment['outputSize']
    inverse = np.linalg.inv(umeyama(alignment['landmarks']['points'], template(alignment)))
    v, u = np.meshgrid(np.arange(size['height']), np.arange(size['width']), indexing='ij')
    points = np.stack([u.ravel(), v.ravel(), np.ones(u.size)])
    sx, sy = (inverse @ points)[:2]
    grid = np.stack([(2 * sx + 1) / width - 1, (2 * sy + 1) / height - 1], axis=-1)
    return torch.tensor(grid.reshape(1, size['height'], size['width'], 2), dtype=torch.float32)


def align(image, manifest):
    """Generator image [n, c, H, W] -> recognizer input, as the pack's manifest describes it."""
    generator, alignment, recognizer = manifest['generator'], manifest['alignment'], manifest['recognizer']
    low, high = generator['pixelRange']
    target_low, target_high = alignment['pixelRange']
    gain = (target_high - target_low) / (high - low)
    x = image * gain + (target_low - low * gain)
    size = alignment['outputSize']
    if 'crop' in alignment:
        c = alignment['crop']
        x = x[:, :, c['y'] : c['y'] + c['height'], c['x'] : c['x'] + c['width']]
        x = F.interpolate(x, size=(size['height'], size['width']), mode='bilinear', align_corners=False, antialias=True)
    else:
        grid = warp_grid(alignment, x.shape[2], x.shape[3]).to(x.dtype).expand(x.shape[0], -1, -1, -1)
        x = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
    if recognizer.get('channelOrder') == 'BGR':
        x = x.flip(1)
    if 'normalization' in recognizer:
        channels = x.shape[1]
        per_channel = lambda v: torch.tensor(v * channels if len(v) == 1 else v, dtype=x.dtype).reshape(1, -1, 1, 1)
        x = (x - per_channel(recognizer['normalization']['mean'])) / per_channel(recognizer['normalization']['std'])
    if recognizer.get('layout') == 'NHWC':
        x = x.permute(0, 2, 3, 1)
    return x


def broadcast(w, manifest):
    """The run's one w -> the generator's input ([batch, numWs, W] for w+ generators)."""
    num_ws = manifest['generator'].get('numWs')
    return w if num_ws is None else w.unsqueeze(1).repeat([1, num_ws, 1])


def tensor_json(t):
    t = t.detach().to(torch.float32).contiguous()
    return {'shape': list(t.shape), 'data': [float(v) for v in t.reshape(-1).tolist()]}


def vjp(fn, x, seed):
    """fn(x), a random upstream gradient g and g^T d fn / dx, by torch.autograd."""
    x = x.detach().clone().requires_grad_(True)
    y = fn(x)
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(y.dtype)
    (dx,) = torch.autograd.grad(y, x, g)
    return y, g, dx


def reference(manifest, mapping, synthesis, recognizer, w_avg, batch, seed=0):
    """reference.json: z, the mapping output, and outputs with VJPs of the generator, the recognizer (when it is a torch
    module) and the composite, at `batch` latents drawn as the worker draws them (w = w_avg + psi (M(z) - w_avg)).
    The models run in float64 from the float32 inputs: a StyleGAN's demodulation makes its float32 VJP uncertain in the
    third digit, and the reference should be the exact value the float32 export approximates."""
    for module in (mapping, synthesis, recognizer):
        if module is not None:
            module.double()
    z = torch.randn([batch, manifest['mapping']['zDim']], generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        mapped = mapping(z.double()).float()
    w = (w_avg + manifest['truncation'] * (mapped - w_avg)).double()
    out = {'w_avg': tensor_json(w_avg), 'z': tensor_json(z), 'mapping_out': tensor_json(mapped)}
    image, g_image, dw = vjp(lambda v: synthesis(broadcast(v, manifest)), w, seed + 1)
    out['generator'] = {'w': tensor_json(w), 'image': tensor_json(image), 'g_image': tensor_json(g_image), 'dw': tensor_json(dw)}
    if recognizer is not None:
        x = align(image.detach(), manifest).float().double()
        embedding, g_embedding, dx = vjp(recognizer, x, seed + 2)
        out['recognizer'] = {'x': tensor_json(x), 'embedding': tensor_json(embedding), 'g_embedding': tensor_json(g_embedding), 'dx': tensor_json(dx)}
        composite = lambda v: recognizer(align(synthesis(broadcast(v, manifest)), manifest))
        embedding, g_embedding, dw = vjp(composite, w, seed + 3)
        out['composite'] = {'w': tensor_json(w), 'embedding': tensor_json(embedding), 'g_embedding': tensor_json(g_embedding), 'dw': tensor_json(dw)}
    return out
