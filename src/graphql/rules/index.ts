import type { ValidationRule } from 'graphql';
import type { RequestLimits } from '../../core/config/config.js';
import { CostLimitRule } from './CostLimitRule.js';
import { DepthLimitRule } from './DepthLimitRule.js';
import { WellFormedTextRule } from './WellFormedTextRule.js';

/** The rules every operation passes, over HTTP and WebSocket alike, besides graphql-js's own. */
export function apiRules(limits: RequestLimits): ValidationRule[] {
  return [DepthLimitRule(limits.maxDepth), CostLimitRule(limits.maxComplexity), WellFormedTextRule];
}
