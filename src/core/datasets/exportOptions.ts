import { StoredJsonError } from '../db/json.js';
import { isRecord } from '../packs/jsonSchema.js';
import type { ParameterProblem } from '../runs/parameterProblems.js';

/** Which images an export writes. */
export const ExportContent = { identities: 'IDENTITIES', samples: 'SAMPLES', both: 'BOTH' } as const;
export type ExportContent = (typeof ExportContent)[keyof typeof ExportContent];

/** Aligned crops at the recognizer's input size (what FR trainers read), or the generator's full images. */
export const ExportCrop = { aligned: 'ALIGNED', full: 'FULL' } as const;
export type ExportCrop = (typeof ExportCrop)[keyof typeof ExportCrop];

/** DatasetExport.options: written by the API after validation, read by the export job. */
export interface ExportOptions {
  crop: ExportCrop;
  content: ExportContent;
  /** WebDataset: images per tar shard. */
  shardSize: number;
}

export const defaultExportOptions: Readonly<ExportOptions> = Object.freeze({
  crop: ExportCrop.aligned,
  content: ExportContent.samples,
  shardSize: 1000,
});

export function exportOptions(input: Partial<ExportOptions>, problems: ParameterProblem[]): ExportOptions {
  const options: ExportOptions = {
    crop: input.crop ?? defaultExportOptions.crop,
    content: input.content ?? defaultExportOptions.content,
    shardSize: input.shardSize ?? defaultExportOptions.shardSize,
  };
  if (!Number.isInteger(options.shardSize) || options.shardSize < 1 || options.shardSize > 1_000_000) {
    problems.push({ field: 'options.shardSize', message: 'must be an integer from 1 to 1000000' });
  }
  return options;
}

/** Whether a dataset member (its identity's reference image, or one of its samples) goes into the export. */
export function includesMember(content: ExportContent, isSample: boolean): boolean {
  return content === ExportContent.both || (content === ExportContent.samples) === isSample;
}

function oneOf<T extends string>(allowed: Record<string, T>, value: unknown, path: string): T {
  const options = Object.values(allowed);
  const match = options.find((option) => option === value);
  if (match === undefined) throw new StoredJsonError(`${path} should be one of ${options.join(', ')}`);
  return match;
}

/** DatasetExport.options read back, checked as the API checked them before storing. */
export function decodeExportOptions(value: unknown): ExportOptions {
  if (!isRecord(value)) throw new StoredJsonError('options should be an object');
  const problems: ParameterProblem[] = [];
  const options = exportOptions(
    {
      crop: oneOf(ExportCrop, value.crop, 'options.crop'),
      content: oneOf(ExportContent, value.content, 'options.content'),
      shardSize: typeof value.shardSize === 'number' ? value.shardSize : Number.NaN,
    },
    problems,
  );
  if (problems.length > 0) throw new StoredJsonError(`${problems[0]!.field} ${problems[0]!.message}`);
  return options;
}
