// Reading a JSON file (configs, data lists, state): errors name the file and, for bad JSON,
// the line and column. The one JSON reader; writes go through atomic-fs.
import { readFileSync } from 'node:fs';
import { ClaraError } from './errors.js';

/** Line and column (1-based) of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Parses JSON text; a syntax error becomes a ClaraError with file, line and column. */
export function parseJsonText(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    let offset = m ? Number(m[1]) : -1;
    if (offset < 0 && /Unexpected end of JSON input/i.test(msg)) offset = body.length;
    const where = offset >= 0 ? lineColumn(body, offset) : undefined;
    const reason = msg.replace(/\s*in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new ClaraError(`invalid JSON${where ? ` at line ${where.line}, column ${where.column}` : ''}: ${reason}`, { file });
  }
}

/** Reads and parses a JSON file; a missing file or bad JSON is a ClaraError naming the file. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ClaraError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(e)})`, { file });
  }
  return parseJsonText(text, file);
}

/** Reads a JSON file that must hold an object. */
export function readJsonObject(file: string): Record<string, unknown> {
  const v = readJsonFile(file);
  if (!isPlainObject(v)) throw new ClaraError(`expected a JSON object at the top level, found ${describeType(v)}`, { file });
  return v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}
