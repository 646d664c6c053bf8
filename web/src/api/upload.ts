import type { Client } from 'urql';
import { createUploadUrlMutation } from './documents';

/**
 * Puts a file in the object store the way the CLI does: a presigned PUT URL from the API, then the
 * bytes straight to the store (they never pass through GraphQL). Returns the object key to give
 * the mutation that reads it.
 */
export async function uploadFile(client: Client, file: File): Promise<string> {
  const result = await client
    .mutation<{ createUploadUrl: { key: string; url: string } }>(createUploadUrlMutation, { fileName: file.name })
    .toPromise();
  if (result.error) throw result.error;
  const { key, url } = result.data!.createUploadUrl;
  const response = await fetch(url, { method: 'PUT', body: file }).catch(() => {
    // A network or CORS refusal: the browser says no more than "failed to fetch".
    throw new Error(
      `uploading ${file.name}: ${new URL(url).origin} refused a request from ${location.origin}. Open the dashboard ` +
        'at the address the API signs object URLs for (the one it prints when it starts), or allow this origin ' +
        "in the object store's CORS rules",
    );
  });
  if (!response.ok) throw new Error(`uploading ${file.name} failed: the object store answered ${response.status}`);
  return key;
}
