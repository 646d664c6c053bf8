/**
 * The time step of one iteration: `timestep` itself when positive; when negative, adaptive,
 * (−timestep)·μ·min_{i<j}|w_i − w_j| / max_i|T_i|, so that no latent moves farther than a fixed
 * share of the closest pair's separation.
 */
export function stepSize(timestep: number, viscosity: number, minLatentDistance: number, maxForceNorm: number): number {
  if (timestep > 0) return timestep;
  if (!(maxForceNorm > 0)) {
    throw new RangeError(`adaptive time step undefined: the largest force norm is ${maxForceNorm}`);
  }
  return (-timestep * viscosity * minLatentDistance) / maxForceNorm;
}
