/**
 * Where strict JSON text first goes wrong, and why. JSON.parse says why but
 * often not where ("Unexpected token '}'"), and a user fixing a runbook
 * needs the line; this scanner walks RFC 8259's grammar and stops at the
 * first offending character.
 */

export interface JsonSyntaxError {
  /** Offset of the offending character in the text. */
  offset: number;
  message: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** undefined when `text` is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const describe = () => (i >= text.length ? 'the end of the text' : JSON.stringify(text[i]));
  const fail = (expected: string): never => {
    throw new Stop(i, `expected ${expected}, found ${describe()}`);
  };

  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) throw new Stop(i, 'a string is never closed with "');
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, 'a \\u escape needs four hex digits');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          throw new Stop(i, `${JSON.stringify(`\\${e ?? ''}`)} is not a JSON escape`);
        }
      } else if (c < ' ') {
        throw new Stop(i, 'a string cannot hold a raw line break or control character; write \\n');
      } else {
        i++;
      }
    }
  };

  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail(text[i] === '}' ? 'another property (JSON allows no trailing comma)' : 'a property name in double quotes');
        string();
        space();
        if (text[i] !== ':') fail('":" after the property name');
        i++;
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('"," or "}"');
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] === ']') fail('another item (JSON allows no trailing comma)');
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('"," or "]"');
      }
    }
    if (c === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(i));
    if (literal === null || /^[A-Za-z0-9_$]/.test(text.slice(i + literal[0].length))) {
      fail('a value (a string in double quotes, a number, true, false, null, an object or a list)');
    }
    i += (literal as RegExpExecArray)[0].length;
  };

  try {
    value();
    space();
    if (i < text.length) fail('nothing more after the document');
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return { offset: error.offset, message: error.message };
    throw error;
  }
}
