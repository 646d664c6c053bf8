/** sha256 of a registered pack's recognizer file, as its manifest records it. */
export function recognizerDigestOf(manifest: unknown): string | undefined {
  const recognizer = (manifest as { recognizer?: { sha256?: unknown } } | null | undefined)?.recognizer;
  return typeof recognizer?.sha256 === 'string' ? recognizer.sha256 : undefined;
}
