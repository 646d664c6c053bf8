import { describe, expect, it } from 'vitest';
import { StoredJsonError } from '../../../src/core/db/json.js';
import { decodeExportOptions, ExportContent, ExportCrop } from '../../../src/core/datasets/exportOptions.js';

const stored = { crop: ExportCrop.full, content: ExportContent.both, shardSize: 5 };

describe('decodeExportOptions', () => {
  it('reads back what the API stored, unchanged', () => {
    expect(decodeExportOptions({ ...stored })).toEqual(stored);
  });

  it.each<[string, unknown, string]>([
    ['crop', 'CENTRE', 'options.crop should be one of ALIGNED, FULL'],
    ['content', undefined, 'options.content should be one of IDENTITIES, SAMPLES, BOTH'],
    ['shardSize', 0, 'options.shardSize must be an integer from 1 to 1000000'],
    ['shardSize', '5', 'options.shardSize must be an integer from 1 to 1000000'],
  ])('names a corrupt %s', (field, value, message) => {
    expect(() => decodeExportOptions({ ...stored, [field]: value })).toThrow(new StoredJsonError(message));
  });

  it('refuses a value that is not an object', () => {
    expect(() => decodeExportOptions('ALIGNED')).toThrow(new StoredJsonError('options should be an object'));
  });
});
