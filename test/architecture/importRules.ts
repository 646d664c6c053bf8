import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * The layer rules of docs/architecture.md, as data: which folders a file may import from, and
 * which packages it may not load. Paths are relative to the package root, '/' separated.
 */
export interface Layer {
  name: string;
  /** Files whose path starts with one of these belong to the layer (longest prefix wins). */
  owns: string[];
  /** Source folders this layer's files must not import. */
  mayNotImport: string[];
  /** npm packages this layer's files must not import. */
  mayNotLoad: string[];
}

const apiOnly = ['src/graphql/', 'src/server/', 'src/auth/'];
const compositionRoots = ['src/cli/', 'src/platform/'];
const modelRuntime = ['onnxruntime-node', 'onnx-proto'];
const graphqlPackages = ['graphql', 'type-graphql', '@apollo/server', 'graphql-ws', 'graphql-scalars', 'dataloader'];

export const layers: Layer[] = [
  {
    name: 'core',
    owns: ['src/core/'],
    mayNotImport: ['services/', ...apiOnly, ...compositionRoots, 'src/embedded/', 'src/provenance/'],
    mayNotLoad: [...modelRuntime, ...graphqlPackages],
  },
  { name: 'composition root', owns: compositionRoots, mayNotImport: [], mayNotLoad: [] },
  { name: 'API', owns: ['src/'], mayNotImport: ['services/', ...compositionRoots], mayNotLoad: modelRuntime },
  {
    name: 'worker',
    owns: ['services/'],
    mayNotImport: [...apiOnly, ...compositionRoots, 'src/embedded/', 'src/provenance/'],
    mayNotLoad: graphqlPackages,
  },
];

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

function layerOf(file: string): Layer | undefined {
  let best: { layer: Layer; length: number } | undefined;
  for (const layer of layers) {
    for (const prefix of layer.owns) {
      if (file.startsWith(prefix) && (!best || prefix.length > best.length)) best = { layer, length: prefix.length };
    }
  }
  return best?.layer;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Every import of `file` (relative to the root) whose text is `text` that breaks a rule. */
export function violationsOf(file: string, text: string): Violation[] {
  const layer = layerOf(file);
  if (!layer) return [];
  const violations: Violation[] = [];
  for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
    if (specifier.startsWith('.')) {
      const target = normalize(join(dirname(file), specifier))
        .split(sep)
        .join('/');
      const banned = layer.mayNotImport.find((prefix) => target.startsWith(prefix));
      if (banned) violations.push({ file, specifier, rule: `${layer.name} may not import ${banned}` });
    } else if (layer.mayNotLoad.includes(packageName(specifier.replace(/^node:/, '')))) {
      violations.push({ file, specifier, rule: `${layer.name} may not load ${packageName(specifier)}` });
    }
  }
  return violations;
}

function sourceFiles(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory())
      return entry.name === 'generated' || entry.name === 'node_modules' ? [] : sourceFiles(root, path);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every violation in the sources under `root` (src/ and services/). */
export function violationsUnder(root: string): { files: number; violations: Violation[] } {
  const files = ['src', 'services'].flatMap((dir) => sourceFiles(root, dir));
  const violations = files.flatMap((file) =>
    violationsOf(relative(root, join(root, file)).split(sep).join('/'), readFileSync(join(root, file), 'utf8')),
  );
  return { files: files.length, violations };
}
