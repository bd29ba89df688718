/**
 * From text (YAML, JSON, or an ARM template in JSON) to a validated
 * Runbook, or to every problem with its path and line. This is what
 * `fleetcmd validate|plan|start|run` call before anything starts.
 */
import { access, readFile } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { type Document, LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { type ArmImportOptions, importArmTemplate, isArmTemplate } from './arm-template';
import { findJsonSyntaxError } from './json-syntax';
import { type PathSegment, type Problem, formatProblems, parsePath, sortProblems } from './problems';
import { type Runbook, isMapping } from './runbook';
import { validateRunbook } from './validate';

export { formatProblems };
export type { Problem };

export type RunbookFormat = 'yaml' | 'json' | 'auto';

export interface ParseRunbookOptions {
  /** Used to pick the format ('auto') and to name an imported ARM template's runbook. */
  filename?: string;
  /** 'auto' (the default) goes by the file extension, then by the first character. */
  format?: RunbookFormat;
  /** For ARM templates: parameter values and the deployment's resource group, subscription, location. */
  arm?: ArmImportOptions;
}

/** `warnings` are things worth saying that do not stop the runbook (e.g. template resources left out). */
export type ParseRunbookResult = { ok: true; runbook: Runbook; warnings: Problem[] } | { ok: false; problems: Problem[] };

export function parseRunbook(text: string, options: ParseRunbookOptions = {}): ParseRunbookResult {
  const source = parseSource(text, resolveFormat(text, options));
  if (!source.ok) return source;
  return fromDocument(source, options);
}

export interface LoadRunbookOptions {
  format?: RunbookFormat;
  arm?: ArmImportOptions & {
    /**
     * An ARM parameters file (`{"parameters": {"vmName": {"value": "vm1"}}}`).
     * When omitted, `<template>.parameters.json` beside the template is used
     * if it exists (Azure's quickstart convention). Values in `arm.parameters` win.
     */
    parametersFile?: string;
  };
}

/** Reads and parses a runbook file; an ARM template (by its $schema or resources) is imported. */
export async function loadRunbookFile(path: string, options: LoadRunbookOptions = {}): Promise<ParseRunbookResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `cannot read the file: ${(error as Error).message}` }] };
  }
  const source = parseSource(text, resolveFormat(text, { filename: path, format: options.format }));
  if (!source.ok) return source;

  const arm: ArmImportOptions = { ...options.arm };
  if (isArmTemplate(source.data)) {
    const parametersFile = options.arm?.parametersFile ?? (await siblingParametersFile(path));
    if (parametersFile !== undefined) {
      const loaded = await loadParametersFile(parametersFile);
      if (!loaded.ok) return loaded;
      arm.parameters = { ...loaded.parameters, ...options.arm?.parameters };
    }
  }
  return fromDocument(source, { filename: path, arm });
}

// ---------------------------------------------------------------------------
// Text -> document, with a way back from paths to lines
// ---------------------------------------------------------------------------

type Source = { ok: true; data: unknown; lineOf: (path: string) => number | undefined; warnings: Problem[] };

function resolveFormat(text: string, options: { filename?: string; format?: RunbookFormat }): 'yaml' | 'json' {
  if (options.format === 'yaml' || options.format === 'json') return options.format;
  const extension = /\.([A-Za-z]+)$/.exec(options.filename ?? '')?.[1]?.toLowerCase();
  if (extension === 'json') return 'json';
  if (extension === 'yaml' || extension === 'yml') return 'yaml';
  return /^\s*[{[]/.test(text) ? 'json' : 'yaml';
}

function parseSource(text: string, format: 'yaml' | 'json'): Source | { ok: false; problems: Problem[] } {
  const lineCounter = new LineCounter();
  // JSON is YAML too: parsing it with the YAML parser as well gives the
  // positions of its keys, and catches duplicate keys, which JSON.parse
  // silently resolves to the last one.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: format === 'yaml', prettyErrors: false });
  const lineOf = (path: string) => locate(doc, lineCounter, parsePath(path));
  const yamlProblems = (errors: typeof doc.errors): Problem[] =>
    errors.map((e) => ({
      path: '',
      message: `${format === 'json' ? 'JSON' : 'YAML'} syntax: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      line: lineCounter.linePos(e.pos[0]).line,
    }));

  if (format === 'json') {
    const syntax = findJsonSyntaxError(text);
    if (syntax !== undefined) {
      return { ok: false, problems: [{ path: '', message: `JSON syntax: ${syntax.message}`, line: lineCounter.linePos(syntax.offset).line }] };
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      return { ok: false, problems: [{ path: '', message: `JSON syntax: ${(error as Error).message}` }] };
    }
    const duplicates = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY');
    if (duplicates.length > 0) return { ok: false, problems: yamlProblems(duplicates) };
    return { ok: true, data, lineOf, warnings: [] };
  }

  if (doc.errors.length > 0) return { ok: false, problems: yamlProblems(doc.errors) };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `YAML: ${(error as Error).message}` }] };
  }
  const warnings = doc.warnings.map((w) => ({ path: '', message: `YAML: ${w.message.split('\n')[0]}`, line: lineCounter.linePos(w.pos[0]).line }));
  return { ok: true, data, lineOf, warnings };
}

/**
 * The line of the node at `path`: the line of its key in a mapping, of the
 * item in a list. For a path that is not in the text (a missing field),
 * the line of its parent object, unless that is the whole document.
 */
function locate(doc: Document, lineCounter: LineCounter, path: readonly PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (let depth = 0; depth < path.length; depth++) {
    const segment = path[depth];
    let next: unknown;
    let at: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
      if (pair !== undefined) {
        next = pair.value;
        at = isScalar(pair.key) && pair.key.range ? pair.key.range[0] : undefined;
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
      const range = (next as { range?: [number, number, number] } | undefined)?.range;
      at = range?.[0];
    }
    if (at === undefined) return depth === 0 ? undefined : line;
    line = lineCounter.linePos(at).line;
    node = next;
  }
  return line;
}

// ---------------------------------------------------------------------------
// Document -> runbook
// ---------------------------------------------------------------------------

function fromDocument(source: Source, options: ParseRunbookOptions): ParseRunbookResult {
  const withLines = (problems: Problem[]): Problem[] =>
    sortProblems(problems.map((p) => {
      if (p.line !== undefined) return p;
      const line = source.lineOf(p.path);
      return line === undefined ? p : { ...p, line };
    }));

  if (source.data === null || source.data === undefined) {
    return { ok: false, problems: [{ path: '', message: 'the file is empty; a runbook is a mapping with name, location, targets and steps' }] };
  }

  if (isArmTemplate(source.data)) {
    const imported = importArmTemplate(source.data, { name: runbookNameFromFile(options.filename), ...options.arm });
    return imported.ok
      ? { ok: true, runbook: imported.runbook, warnings: withLines([...source.warnings, ...imported.warnings]) }
      : { ok: false, problems: withLines(imported.problems) };
  }

  const validated = validateRunbook(source.data);
  return validated.ok
    ? { ok: true, runbook: validated.runbook, warnings: withLines(source.warnings) }
    : { ok: false, problems: withLines(validated.problems) };
}

/** `examples/arm/two-run-commands.json` -> `two-run-commands`. */
function runbookNameFromFile(filename: string | undefined): string | undefined {
  if (filename === undefined) return undefined;
  const base = nodePath.basename(filename).replace(/\.(json|jsonc|ya?ml)$/i, '');
  return base === '' ? undefined : base;
}

async function siblingParametersFile(templatePath: string): Promise<string | undefined> {
  const candidate = templatePath.replace(/(\.json)?$/i, '.parameters.json');
  if (candidate === templatePath) return undefined;
  try {
    await access(candidate);
    return candidate;
  } catch {
    return undefined;
  }
}

/** An ARM deployment parameters file: `{"parameters": {"<name>": {"value": ...}}}`. */
async function loadParametersFile(
  path: string,
): Promise<{ ok: true; parameters: Record<string, unknown> } | { ok: false; problems: Problem[] }> {
  const fail = (message: string, at = ''): { ok: false; problems: Problem[] } => ({
    ok: false,
    problems: [{ path: at, message: `in the parameters file ${path}: ${message}` }],
  });
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return fail(`cannot read it as JSON: ${(error as Error).message}`);
  }
  if (!isMapping(data) || !isMapping(data.parameters)) return fail('it must be an object with a "parameters" object');
  const parameters: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(data.parameters)) {
    if (!isMapping(entry) || !('value' in entry || 'reference' in entry)) {
      return fail(`parameters.${name} must be an object with a "value"`);
    }
    parameters[name] = 'value' in entry ? entry.value : { reference: entry.reference };
  }
  return { ok: true, parameters };
}
