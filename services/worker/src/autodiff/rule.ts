import type { GradientContext } from './context.js';

/**
 * How one operator's gradient is expressed in ONNX. `backward` receives the upstream gradient of
 * each output (undefined where none flows) and returns the gradient of each input (undefined where
 * none is needed or the input is not differentiable).
 */
export interface GradientRule {
  /** Input positions the rule differentiates; 'all' for variadic operators such as Concat. */
  readonly differentiableInputs: readonly number[] | 'all';
  backward(ctx: GradientContext, upstream: ReadonlyArray<string | undefined>): Array<string | undefined>;
}
