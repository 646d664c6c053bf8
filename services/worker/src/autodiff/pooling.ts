import type { GradientContext } from './context.js';
import { resolveWindowPads, type WindowPads } from './shapes.js';

export interface PoolGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: WindowPads;
}

export function poolGeometry(ctx: GradientContext, inputShape: readonly number[]): PoolGeometry {
  const spatial = inputShape.slice(2);
  const kernel = ctx.ints('kernel_shape');
  if (!kernel) ctx.fail('it has no kernel_shape');
  const strides = ctx.ints('strides') ?? spatial.map(() => 1);
  const dilations = ctx.ints('dilations') ?? spatial.map(() => 1);
  const pads = resolveWindowPads(
    ctx.string('auto_pad', 'NOTSET'),
    ctx.ints('pads'),
    spatial,
    kernel,
    strides,
    dilations,
  );
  return { kernel, strides, dilations, pads };
}
