import type { PresignedUrl } from '../core/store/objectStore.js';
import { objectUrl, type GraphQLContext } from './context.js';
import { badUserInput } from './errors.js';

export const defaultDownloadSeconds = 3600;
/** S3's limit for presigned URLs. */
const maxDownloadSeconds = 7 * 24 * 3600;

/**
 * A GET URL for an object the caller has already been allowed to read: resolvers check the
 * permission of the object before they call this.
 */
export function downloadUrl(
  context: GraphQLContext,
  key: string,
  expiresIn: number,
  field = 'expiresIn',
): Promise<PresignedUrl> {
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > maxDownloadSeconds) {
    throw badUserInput([{ field, message: `must be a number of seconds from 1 to ${maxDownloadSeconds}` }]);
  }
  return objectUrl(context, 'GET', key, expiresIn);
}
