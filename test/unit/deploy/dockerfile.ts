/**
 * Just enough of a Dockerfile reader for static checks: build arguments,
 * stages and their instructions, with line continuations joined and comments
 * dropped.
 */

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The image as written (`${NODE_IMAGE}`) and with global ARG defaults substituted. */
  from: string;
  image: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(`${current}${line}`.trim());
    current = '';
  }
  if (current.trim()) lines.push(current.trim());
  return lines;
}

export function parseDockerfile(text: string): Dockerfile {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const [keyword, ...rest] = line.split(/\s+/);
    const upper = keyword.toUpperCase();
    const argsText = rest.join(' ');
    if (upper === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(argsText);
      if (!match) throw new Error(`unreadable FROM: ${line}`);
      const image = match[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => args[braced ?? bare ?? ''] ?? '');
      stages.push({ from: match[1], image, name: match[2], instructions: [] });
    } else if (stages.length === 0) {
      if (upper === 'ARG') {
        const [name, value = ''] = argsText.split(/=(.*)/s, 2);
        args[name] = value;
      }
    } else {
      stages[stages.length - 1].instructions.push({ keyword: upper, args: argsText });
    }
  }
  return { args, stages };
}

/** An exec-form (JSON array) instruction's arguments, or undefined for the shell form. */
export function execForm(instruction: Instruction): string[] | undefined {
  if (!instruction.args.startsWith('[')) return undefined;
  return JSON.parse(instruction.args) as string[];
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}
