import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import * as searchAttributes from '../../../src/workflows/search-attributes';

/**
 * What the deployment files and docs must agree with, read from the source
 * itself: which FLEETCMD_* settings a module reads, which modules a process
 * loads, which search attributes the workflows set. Settings are read with the
 * TypeScript parser, so names in comments do not count.
 */

export const repoRoot = resolve(__dirname, '..', '..', '..');

export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

/** `src/worker.ts` style, for messages. */
export function fromRoot(file: string): string {
  return relative(repoRoot, file).split('\\').join('/');
}

const SETTING = /FLEETCMD_[A-Z0-9]+(?:_[A-Z0-9]+)*/g;

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
}

/** Every FLEETCMD_* name in the code (string literals, templates, identifiers) of these files. */
export function settingsReadBy(files: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node) || ts.isIdentifier(node)) {
        for (const match of node.text.matchAll(SETTING)) names.add(match[0]);
      }
      ts.forEachChild(node, visit);
    };
    visit(parse(file));
  }
  return names;
}

function resolveModule(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

/** Relative modules a file loads at run time (type-only imports and exports load nothing). */
function runtimeImports(file: string): string[] {
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      const isDynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isDynamicImport || isRequire) specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(parse(file));
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => resolveModule(file, s))
    .filter((f): f is string => f !== undefined);
}

/** The entry file and every project module it loads, transitively. */
export function moduleGraph(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    pending.push(...runtimeImports(file));
  }
  return [...seen].sort();
}

/** Every FLEETCMD_* setting the worker process can read: src/worker.ts and all it loads. */
export function workerSettings(): Set<string> {
  return settingsReadBy(moduleGraph(repoPath('src', 'worker.ts')));
}

/** Every FLEETCMD_* name anywhere in src/. */
export function allSourceSettings(): Set<string> {
  return settingsReadBy(sourceFiles(repoPath('src')));
}

function sourceFiles(dir: string): string[] {
  return ts.sys.readDirectory(dir, ['.ts']).filter((f) => !f.endsWith('.d.ts'));
}

/** fleetcmd's search attributes as src/workflows/search-attributes.ts defines them (type as the SDK spells it: KEYWORD). */
export function definedSearchAttributes(): { name: string; type: string }[] {
  const isKey = (value: unknown): value is { name: string; type: string } =>
    typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string' && typeof (value as { type?: unknown }).type === 'string';
  return (Object.values(searchAttributes) as unknown[])
    .filter(isKey)
    .map(({ name, type }) => ({ name, type }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
